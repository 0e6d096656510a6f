import Foundation

/// Something the decoded, resampled audio is fanned out to: an encoder per rendition,
/// and the analysis (loudness, peaks, waveform). Frames are read, never modified.
protocol FrameConsumer: AnyObject {
    func consume(_ frame: Frame) throws
    /// The last frame was consumed: drain and write what is left.
    func finish() throws
}
