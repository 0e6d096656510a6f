import CFFmpeg

/// The start both MP4 muxers share: an `mp4` output context with one stream that carries an
/// encoder's parameters and time base.
enum MP4OutputContext {
    /// - Parameter path: the file the muxer names (for a progressive file), or nil for custom I/O.
    /// - Returns: the context and its stream; on failure nothing is left allocated.
    static func make(
        encoder: AACEncoder,
        path: String?
    ) throws(AVError) -> (context: UnsafeMutablePointer<AVFormatContext>, stream: UnsafeMutablePointer<AVStream>) {
        var allocated: UnsafeMutablePointer<AVFormatContext>?
        try check(avformat_alloc_output_context2(&allocated, nil, "mp4", path), "avformat_alloc_output_context2")
        guard let context = allocated else {
            throw AVError(code: AVError.outOfMemory, operation: "avformat_alloc_output_context2")
        }
        guard let stream = avformat_new_stream(context, nil) else {
            avformat_free_context(context)
            throw AVError(code: AVError.outOfMemory, operation: "avformat_new_stream")
        }
        let copied = avcodec_parameters_from_context(stream.pointee.codecpar, encoder.context)
        guard copied >= 0 else {
            avformat_free_context(context)
            throw AVError(code: copied, operation: "avcodec_parameters_from_context")
        }
        stream.pointee.time_base = encoder.context.pointee.time_base
        return (context, stream)
    }
}
