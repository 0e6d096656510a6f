import CFFmpeg

/// Sample format, rate and channel layout of a PCM stream.
struct AudioFormat {
    var sampleFormat: AVSampleFormat
    var sampleRate: Int32
    var layout: AVChannelLayout

    var channelCount: Int { Int(layout.nb_channels) }

    /// The format of a decoded frame.
    init(frame: Frame) {
        sampleFormat = AVSampleFormat(rawValue: frame.pointer.pointee.format)
        sampleRate = frame.pointer.pointee.sample_rate
        layout = frame.pointer.pointee.ch_layout
    }

    init(sampleFormat: AVSampleFormat, sampleRate: Int32, layout: AVChannelLayout) {
        self.sampleFormat = sampleFormat
        self.sampleRate = sampleRate
        self.layout = layout
    }

    /// Planar float, the native `aac` encoder's only input format, in mono or stereo.
    static func aacInput(sampleRate: Int32, channels: Int) -> AudioFormat {
        AudioFormat(
            sampleFormat: AV_SAMPLE_FMT_FLTP,
            sampleRate: sampleRate,
            layout: channels == 1 ? veza_channel_layout_mono() : veza_channel_layout_stereo()
        )
    }

    /// Whether frames in `other` can go through the resampler configured for `self`.
    func matches(_ other: AudioFormat) -> Bool {
        var lhs = layout
        var rhs = other.layout
        return sampleFormat == other.sampleFormat && sampleRate == other.sampleRate
            && av_channel_layout_compare(&lhs, &rhs) == 0
    }
}
