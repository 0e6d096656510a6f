import CFFmpeg

/// Owns an `AVFrame`; freed in `deinit`.
///
/// A frame handed to several encoders at once is only read after it is published
/// (its buffers are reference-counted and `avcodec_send_frame` takes its own
/// reference), which is why it may cross threads.
final class Frame: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<AVFrame>

    init() throws(AVError) {
        guard let frame = av_frame_alloc() else {
            throw AVError(code: AVError.outOfMemory, operation: "av_frame_alloc")
        }
        pointer = frame
    }

    /// Allocates a planar float frame with room for `samples` samples.
    convenience init(format: AudioFormat, samples: Int32) throws(AVError) {
        try self.init()
        pointer.pointee.format = format.sampleFormat.rawValue
        pointer.pointee.sample_rate = format.sampleRate
        pointer.pointee.nb_samples = samples
        var layout = format.layout
        try check(av_channel_layout_copy(&pointer.pointee.ch_layout, &layout), "av_channel_layout_copy")
        try check(av_frame_get_buffer(pointer, 0), "av_frame_get_buffer")
    }

    deinit {
        var frame: UnsafeMutablePointer<AVFrame>? = pointer
        av_frame_free(&frame)
    }

    var sampleCount: Int { Int(pointer.pointee.nb_samples) }
    var channelCount: Int { Int(pointer.pointee.ch_layout.nb_channels) }

    var pts: Int64 {
        get { pointer.pointee.pts }
        set { pointer.pointee.pts = newValue }
    }

    /// The channel planes of a planar float frame.
    func floatPlanes() -> [UnsafePointer<Float>] {
        (0..<channelCount).map { channel in
            UnsafeRawPointer(pointer.pointee.extended_data[channel]!).assumingMemoryBound(to: Float.self)
        }
    }

    /// A new frame holding a reference to `count` samples of this planar frame from sample
    /// `start` on: its own `AVFrame`, the same buffers, no copy.
    func slice(from start: Int, count: Int) throws(AVError) -> Frame {
        let slice = try Frame()
        try check(av_frame_ref(slice.pointer, pointer), "av_frame_ref")
        let bytesPerSample = Int(av_get_bytes_per_sample(AVSampleFormat(rawValue: pointer.pointee.format)))
        let offset = start * bytesPerSample
        let planes = (0..<channelCount).map { pointer.pointee.extended_data[$0]! + offset }
        // Up to 8 channels `extended_data` points at `data` itself (av_frame_ref keeps it so),
        // so moving `data` moves both; we only ever slice mono or stereo.
        precondition(planes.count <= 8, "slicing more than 8 planes")
        withUnsafeMutableBytes(of: &slice.pointer.pointee.data) { data in
            let slots = data.bindMemory(to: UnsafeMutablePointer<UInt8>?.self)
            for (channel, plane) in planes.enumerated() { slots[channel] = plane }
        }
        slice.pointer.pointee.nb_samples = Int32(count)
        return slice
    }

    /// Gives a frame whose channel order FFmpeg left unspecified (WAV files written by
    /// ffmpeg do this) the default layout for its channel count, so swresample accepts it.
    /// Custom orders get the default too: their channel map is heap memory owned by the
    /// frame, which `AudioFormat` could not safely keep.
    func fixUnspecifiedLayout() {
        let layout = pointer.pointee.ch_layout
        let order = layout.order
        guard order == AV_CHANNEL_ORDER_UNSPEC || order == AV_CHANNEL_ORDER_CUSTOM, layout.nb_channels > 0
        else { return }
        av_channel_layout_uninit(&pointer.pointee.ch_layout)
        av_channel_layout_default(&pointer.pointee.ch_layout, layout.nb_channels)
    }

    func unref() { av_frame_unref(pointer) }
}
