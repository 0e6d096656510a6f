import CFFmpeg
import Foundation

/// Owns a demuxer (`AVFormatContext`) opened on a local path or an http(s) URL.
final class FormatInput {
    let context: UnsafeMutablePointer<AVFormatContext>
    /// Kept alive for FFmpeg's interrupt callback, which receives it unretained.
    private let cancellation: CancellationFlag

    /// Opens `url` and reads enough of it to know its streams.
    ///
    /// For http(s) URLs (presigned S3 GETs) FFmpeg reconnects on dropped connections
    /// and gives up on a stalled read after `readTimeoutSeconds`. The file is read
    /// as it is demuxed, with range requests for seeks: never downloaded whole.
    init(url: String, cancellation: CancellationFlag = CancellationFlag(), readTimeoutSeconds: Int = 30) throws(AVError)
    {
        self.cancellation = cancellation
        guard var context = avformat_alloc_context() else {
            throw AVError(code: AVError.outOfMemory, operation: "avformat_alloc_context")
        }
        context.pointee.interrupt_callback.callback = { opaque in
            guard let opaque else { return 0 }
            return Unmanaged<CancellationFlag>.fromOpaque(opaque).takeUnretainedValue().isCancelled ? 1 : 0
        }
        context.pointee.interrupt_callback.opaque = Unmanaged.passUnretained(cancellation).toOpaque()

        var options = AVOptions()
        if FormatInput.isNetworkURL(url) {
            options["reconnect"] = "1"
            options["reconnect_streamed"] = "1"
            options["reconnect_on_network_error"] = "1"
            options["reconnect_delay_max"] = "8"
            options["rw_timeout"] = String(readTimeoutSeconds * 1_000_000)
        }
        var opened: UnsafeMutablePointer<AVFormatContext>? = context
        // On failure avformat_open_input frees the context and sets it to NULL.
        let openResult = options.withUnsafeDictionary { avformat_open_input(&opened, url, nil, $0) }
        try check(openResult, "avformat_open_input")
        context = opened!
        self.context = context
        try check(avformat_find_stream_info(context, nil), "avformat_find_stream_info")
    }

    deinit {
        var context: UnsafeMutablePointer<AVFormatContext>? = context
        avformat_close_input(&context)
    }

    static func isNetworkURL(_ url: String) -> Bool {
        let lower = url.lowercased()
        return lower.hasPrefix("http://") || lower.hasPrefix("https://")
    }

    var streams: [UnsafeMutablePointer<AVStream>] {
        (0..<Int(context.pointee.nb_streams)).compactMap { context.pointee.streams[$0] }
    }

    /// FFmpeg's short name(s) for the container, e.g. "mp3" or "mov,mp4,m4a,3gp,3g2,mj2".
    var formatName: String {
        context.pointee.iformat.map { String(cString: $0.pointee.name) } ?? "unknown"
    }

    /// The best audio stream and a decoder for it. Cover art (an attached picture,
    /// a video stream) and data streams are not audio, so they are never chosen;
    /// every other stream is discarded so the demuxer skips its packets.
    func bestAudioStream() throws(AVError) -> (stream: UnsafeMutablePointer<AVStream>, codec: UnsafePointer<AVCodec>) {
        var codec: UnsafePointer<AVCodec>?
        let index = try check(
            av_find_best_stream(context, AVMEDIA_TYPE_AUDIO, -1, -1, &codec, 0),
            "av_find_best_stream"
        )
        for (other, stream) in streams.enumerated() where other != Int(index) {
            stream.pointee.discard = AVDISCARD_ALL
        }
        guard let codec else { throw AVError(code: AVError.decoderNotFound, operation: "av_find_best_stream") }
        return (streams[Int(index)], codec)
    }

    /// Reads the next packet into `packet`; returns false at the end of the input.
    func read(into packet: Packet) throws(AVError) -> Bool {
        while true {
            let result = av_read_frame(context, packet.pointer)
            if result == AVError.eof { return false }
            if result == AVError.again { continue }
            try check(result, "av_read_frame")
            return true
        }
    }

    /// The container's metadata value for `key` (case-insensitive), falling back to
    /// the stream's: Ogg and some others keep their tags on the stream.
    func tag(_ key: String, stream: UnsafeMutablePointer<AVStream>?) -> String? {
        for dictionary in [context.pointee.metadata, stream?.pointee.metadata] {
            if let entry = av_dict_get(dictionary, key, nil, 0), let value = entry.pointee.value {
                let text = String(cString: value).trimmingCharacters(in: .whitespacesAndNewlines)
                if !text.isEmpty { return text }
            }
        }
        return nil
    }
}
