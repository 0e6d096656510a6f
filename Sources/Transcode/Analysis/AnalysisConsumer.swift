/// Loudness, peaks and waveform, measured on the same decoded (resampled) audio the
/// encoders get: one decode pass for everything.
final class AnalysisConsumer: FrameConsumer {
    private var loudness: LoudnessMeter
    private var peaks: PeakMeter
    private var waveform: WaveformBuilder
    private(set) var result: AnalysisResult?

    init(sampleRate: Int, channels: Int) {
        loudness = LoudnessMeter(sampleRate: sampleRate, channels: channels)
        peaks = PeakMeter(sampleRate: sampleRate, channels: channels)
        waveform = WaveformBuilder(sampleRate: sampleRate)
    }

    func consume(_ frame: Frame) throws {
        let planes = frame.floatPlanes()
        let count = frame.sampleCount
        loudness.process(planes, count: count)
        peaks.process(planes, count: count)
        waveform.process(planes, count: count)
    }

    func finish() throws {
        result = AnalysisResult(
            loudness: LoudnessResult(
                integratedLUFS: loudness.integratedLoudness,
                loudnessRangeLU: loudness.loudnessRange,
                truePeakDBTP: peaks.truePeakDBTP,
                samplePeakDBFS: peaks.samplePeakDBFS
            ),
            waveform: waveform.finish()
        )
    }
}

struct AnalysisResult: Sendable {
    let loudness: LoudnessResult
    let waveform: Waveform
}
