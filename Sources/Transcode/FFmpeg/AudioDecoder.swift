import CFFmpeg

/// Owns a decoder (`AVCodecContext`) for one stream and exposes FFmpeg's
/// send/receive API one step at a time, so the caller decides what a decode
/// error means (skip a damaged packet, or give up).
final class AudioDecoder {
    let context: UnsafeMutablePointer<AVCodecContext>
    private let frame: Frame

    init(stream: UnsafeMutablePointer<AVStream>, codec: UnsafePointer<AVCodec>) throws(AVError) {
        // The frame first: once `context` is set, a throw runs deinit, which frees it.
        frame = try Frame()
        guard let context = avcodec_alloc_context3(codec) else {
            throw AVError(code: AVError.outOfMemory, operation: "avcodec_alloc_context3")
        }
        self.context = context
        try check(avcodec_parameters_to_context(context, stream.pointee.codecpar), "avcodec_parameters_to_context")
        context.pointee.pkt_timebase = stream.pointee.time_base
        try check(avcodec_open2(context, codec, nil), "avcodec_open2")
    }

    deinit {
        var context: UnsafeMutablePointer<AVCodecContext>? = context
        avcodec_free_context(&context)
    }

    /// Sends `packet`, or nil to start draining. Returns false when the decoder is full
    /// (EAGAIN): receive its frames, then send the same packet again.
    func send(_ packet: Packet?) throws(AVError) -> Bool {
        let result = avcodec_send_packet(context, packet?.pointer)
        if result == AVError.again { return false }
        if result == AVError.eof { return true }  // already draining
        try check(result, "avcodec_send_packet")
        return true
    }

    /// The next decoded frame, or nil when the decoder needs input or is drained.
    /// The frame is reused by the next call.
    func receive() throws(AVError) -> Frame? {
        frame.unref()
        let result = avcodec_receive_frame(context, frame.pointer)
        if result == AVError.again || result == AVError.eof { return nil }
        try check(result, "avcodec_receive_frame")
        return frame
    }
}
