import CFFmpeg

/// One rung of the ladder: an AAC-LC rendition at a nominal bit rate.
struct RenditionSpec: Sendable, Equatable {
    let bitRate: Int

    /// Directory and display name, e.g. "aac_128k".
    var name: String { "aac_\(bitRate / 1000)k" }
}

/// What every rendition is encoded as. All renditions share one sample rate and
/// channel count, so one resampler feeds them all and their AAC frames line up:
/// segment boundaries fall at the same instants in every rendition.
struct OutputPlan: Sendable {
    let sampleRate: Int32
    let channels: Int
    let renditions: [RenditionSpec]

    var format: AudioFormat { .aacInput(sampleRate: sampleRate, channels: channels) }

    init(sourceSampleRate: Int32, sourceChannels: Int, ladderKbps: [Int]) {
        sampleRate = OutputPlan.sampleRate(forSource: sourceSampleRate)
        // Mono stays mono; anything with two or more channels is delivered as stereo.
        channels = sourceChannels == 1 ? 1 : 2
        renditions = ladderKbps.map { RenditionSpec(bitRate: $0 * 1000) }
    }

    /// 44.1 kHz for the 44.1 kHz family (11.025, 22.05, 88.2, 176.4 kHz), 48 kHz for
    /// everything else. These are the two rates every HLS client plays (Apple's HLS
    /// authoring spec asks for one of them); keeping a source's 8 or 11.025 kHz would also
    /// cap what AAC can spend (6144 bits per channel per frame, 96 kb/s in stereo at
    /// 8 kHz), so the upper rungs of the ladder would collapse onto the lower ones.
    static func sampleRate(forSource rate: Int32) -> Int32 {
        rate > 0 && rate % 11025 == 0 ? 44100 : 48000
    }
}
