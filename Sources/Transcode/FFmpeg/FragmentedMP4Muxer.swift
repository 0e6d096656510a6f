import CFFmpeg
import Foundation

/// Owns an MP4 muxer writing fragmented MP4 into memory, one fragment per call to
/// `cutFragment()`: the bytes of an fMP4 HLS rendition, init segment first.
///
/// `movflags`:
/// - `frag_custom`: a fragment ends only when we flush, so segment boundaries are ours.
/// - `delay_moov`: the `moov` is written at the first flush, once the first packet's
///   timestamp (−1024, the AAC priming) is known, so it carries an edit list that
///   trims the priming samples (`elst` media_time 1024): gapless, exact duration.
/// - `default_base_moof`: `trun` offsets are relative to each `moof`, so every
///   segment file stands alone (otherwise `tfhd` holds absolute file offsets).
/// - `skip_trailer`: no `mfra` index after the last fragment; HLS has the playlist.
final class FragmentedMP4Muxer {
    private let context: UnsafeMutablePointer<AVFormatContext>
    private let stream: UnsafeMutablePointer<AVStream>
    private let collector = ByteCollector()
    private var headerWritten = false
    private var initWritten = false

    init(encoder: AACEncoder) throws(AVError) {
        (self.context, self.stream) = try MP4OutputContext.make(encoder: encoder, path: nil)
        // Every property is set: from here a failure runs deinit, which frees the context.

        let bufferSize: Int32 = 64 * 1024
        guard let buffer = av_malloc(Int(bufferSize)) else {
            throw AVError(code: AVError.outOfMemory, operation: "av_malloc")
        }
        guard
            let io = avio_alloc_context(
                buffer.assumingMemoryBound(to: UInt8.self),
                bufferSize,
                1,
                Unmanaged.passUnretained(collector).toOpaque(),
                nil,
                { opaque, bytes, count in
                    guard let opaque, let bytes, count > 0 else { return 0 }
                    Unmanaged<ByteCollector>.fromOpaque(opaque).takeUnretainedValue()
                        .append(UnsafeBufferPointer(start: bytes, count: Int(count)))
                    return count
                },
                nil
            )
        else {
            av_free(buffer)
            throw AVError(code: AVError.outOfMemory, operation: "avio_alloc_context")
        }
        self.context.pointee.pb = io
        self.context.pointee.flags |= AVFMT_FLAG_CUSTOM_IO

        var options = AVOptions()
        options["movflags"] = "+frag_custom+delay_moov+default_base_moof+skip_trailer"
        let result = options.withUnsafeDictionary { avformat_write_header(self.context, $0) }
        try check(result, "avformat_write_header(mp4)")
        headerWritten = true
    }

    deinit {
        if let io = context.pointee.pb {
            // avio may have replaced the buffer we gave it; free the one it holds now.
            av_freep(&io.pointee.buffer)
            var optionalIO: UnsafeMutablePointer<AVIOContext>? = io
            avio_context_free(&optionalIO)
            context.pointee.pb = nil
        }
        avformat_free_context(context)
    }

    /// Writes one encoded packet (in the encoder's time base) into the open fragment;
    /// its timestamps are rescaled to the stream's (the muxer may have changed it).
    func write(_ packet: Packet, from encoderTimeBase: AVRational) throws(AVError) {
        packet.pointer.pointee.stream_index = 0
        av_packet_rescale_ts(packet.pointer, encoderTimeBase, stream.pointee.time_base)
        try check(av_write_frame(context, packet.pointer), "av_write_frame")
    }

    /// Closes the open fragment and returns what the muxer wrote for it. The first call
    /// returns the init segment (`ftyp` + `moov`) and the first fragment separately.
    func cutFragment() throws(AVError) -> (initSegment: Data?, fragment: Data) {
        var initSegment: Data?
        if !initWritten {
            // With delay_moov the first flush writes only ftyp+moov, the fragment stays queued.
            try flush()
            initSegment = collector.take()
            initWritten = true
        }
        try flush()
        return (initSegment, collector.take())
    }

    private func flush() throws(AVError) {
        try check(av_write_frame(context, nil), "av_write_frame(flush)")
        avio_flush(context.pointee.pb)
    }

    /// Ends the file. With `skip_trailer` and every fragment already cut, nothing of
    /// use is written; whatever is, is dropped.
    func finish() throws(AVError) {
        guard headerWritten else { return }
        try check(av_write_trailer(context), "av_write_trailer")
        avio_flush(context.pointee.pb)
        _ = collector.take()
    }
}

/// Collects what the muxer's AVIO context writes.
final class ByteCollector {
    private var bytes = Data()

    func append(_ buffer: UnsafeBufferPointer<UInt8>) {
        bytes.append(buffer)
    }

    func take() -> Data {
        defer { bytes = Data() }
        return bytes
    }
}
