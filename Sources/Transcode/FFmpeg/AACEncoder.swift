import CFFmpeg

/// Owns FFmpeg's native AAC-LC encoder (`aac`) and runs the send/receive loop over it.
///
/// Facts this relies on: `frame_size` is 1024, the input is planar float, and the
/// first packet's pts is −1024 (the encoder's priming samples, `initial_padding`),
/// which the MP4 muxer turns into an edit list.
final class AACEncoder {
    let context: UnsafeMutablePointer<AVCodecContext>
    private let packet: Packet

    init(format: AudioFormat, bitRate: Int) throws(AVError) {
        guard let codec = avcodec_find_encoder(AV_CODEC_ID_AAC) else {
            throw AVError(code: AVError.decoderNotFound, operation: "avcodec_find_encoder(aac)")
        }
        // The packet first: once `context` is set, a throw runs deinit, which frees it.
        packet = try Packet()
        guard let context = avcodec_alloc_context3(codec) else {
            throw AVError(code: AVError.outOfMemory, operation: "avcodec_alloc_context3")
        }
        self.context = context
        context.pointee.sample_fmt = format.sampleFormat
        context.pointee.sample_rate = format.sampleRate
        var layout = format.layout
        try check(av_channel_layout_copy(&context.pointee.ch_layout, &layout), "av_channel_layout_copy")
        context.pointee.bit_rate = Int64(bitRate)
        context.pointee.profile = FF_PROFILE_AAC_LOW
        context.pointee.time_base = AVRational(num: 1, den: format.sampleRate)
        // MP4 keeps the AudioSpecificConfig in the sample description (esds), not in-band.
        context.pointee.flags |= AV_CODEC_FLAG_GLOBAL_HEADER
        try check(avcodec_open2(context, codec, nil), "avcodec_open2(aac)")
    }

    deinit {
        var context: UnsafeMutablePointer<AVCodecContext>? = context
        avcodec_free_context(&context)
    }

    var frameSize: Int { Int(context.pointee.frame_size) }
    var primingSamples: Int { Int(context.pointee.initial_padding) }

    /// Sends `frame` (nil drains the encoder) and hands every packet it yields to `body`.
    /// The packet is reused after `body` returns.
    func encode(_ frame: Frame?, _ body: (Packet) throws -> Void) throws {
        while true {
            let sent = avcodec_send_frame(context, frame?.pointer)
            let mustResend = sent == AVError.again
            if !mustResend && sent != AVError.eof {
                try check(sent, "avcodec_send_frame")
            }
            try receiveAll(body)
            if !mustResend { return }
        }
    }

    private func receiveAll(_ body: (Packet) throws -> Void) throws {
        while true {
            let received = avcodec_receive_packet(context, packet.pointer)
            if received == AVError.again || received == AVError.eof { return }
            try check(received, "avcodec_receive_packet")
            defer { packet.unref() }
            try body(packet)
        }
    }
}
