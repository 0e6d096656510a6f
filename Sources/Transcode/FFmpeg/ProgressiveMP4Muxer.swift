import CFFmpeg
import Foundation

/// Owns an MP4 muxer writing one progressive (non-fragmented) file on local disk, `moov` first
/// (`movflags=+faststart`: the muxer moves the index to the front when the file is finished), so
/// a player can start and seek with range requests. It muxes packets another encoder already
/// made: `stream.m4a` is the 128 kb/s rung's AAC a second time, not a second encode.
final class ProgressiveMP4Muxer {
    let path: String
    private let context: UnsafeMutablePointer<AVFormatContext>
    private let stream: UnsafeMutablePointer<AVStream>
    private let scratch: Packet
    private var finished = false

    init(encoder: AACEncoder, path: String) throws(AVError) {
        self.path = path
        scratch = try Packet()
        (self.context, self.stream) = try MP4OutputContext.make(encoder: encoder, path: path)
        // Every property is set: from here a failure runs deinit, which closes and frees.
        var ioOptions = AVOptions()
        ioOptions["protocol_whitelist"] = "file"
        try check(
            ioOptions.withUnsafeDictionary { avio_open2(&self.context.pointee.pb, path, AVIO_FLAG_WRITE, nil, $0) },
            "avio_open2"
        )
        var options = AVOptions()
        options["movflags"] = "+faststart"
        try check(
            options.withUnsafeDictionary { avformat_write_header(self.context, $0) },
            "avformat_write_header(mp4)"
        )
    }

    deinit {
        if context.pointee.pb != nil { avio_closep(&context.pointee.pb) }
        if !finished { unlink(path) }
        avformat_free_context(context)
    }

    /// Muxes a copy of `packet` (in the encoder's time base); `packet` itself is left untouched
    /// for the HLS muxer.
    func write(_ packet: Packet, from encoderTimeBase: AVRational) throws(AVError) {
        try check(av_packet_ref(scratch.pointer, packet.pointer), "av_packet_ref")
        defer { scratch.unref() }
        scratch.pointer.pointee.stream_index = 0
        av_packet_rescale_ts(scratch.pointer, encoderTimeBase, stream.pointee.time_base)
        try check(av_write_frame(context, scratch.pointer), "av_write_frame")
    }

    /// Writes the index (moved to the front) and closes the file, which the caller then owns.
    func finish() throws(AVError) {
        try check(av_write_trailer(context), "av_write_trailer")
        try check(avio_closep(&context.pointee.pb), "avio_closep")
        finished = true
    }
}
