import CFFmpeg
import Catalog
import Foundation

/// Owns a demuxer (`AVFormatContext`) opened on a local path or an http(s) URL.
///
/// A source is uploaded by anyone, so it is opened defensively: the bytes are read through an
/// `AVIOContext` of our own restricted to one kind of protocol (`file` for a path; `http`,
/// `https`, `tcp`, `tls` for a presigned URL; never `concat`, `subfile`, `crypto`, `data` or
/// `hls`), ``AudioSniffer`` names the container from those same bytes, and only that demuxer is
/// run (no probing), with `format_whitelist` set to the audio demuxers we accept. A playlist,
/// concat script, image or subtitle can therefore never be demuxed, and nothing the file says
/// can make FFmpeg open another file or URL.
final class FormatInput {
    let context: UnsafeMutablePointer<AVFormatContext>
    /// The container ``AudioSniffer`` recognised.
    let sniffed: AudioSniffer.Format
    /// The length the container's header declares (WAV, AIFF), and the file's real length.
    let declaredLength: Int64?
    let actualLength: Int64?
    /// Our AVIO context: FFmpeg does not close a caller-provided one.
    private var io: UnsafeMutablePointer<AVIOContext>?
    /// Kept alive for FFmpeg's interrupt callback, which receives it unretained.
    private let cancellation: CancellationFlag

    /// The `operation` of the error thrown for bytes that are not audio we accept.
    static let sniffOperation = "AudioSniffer.sniff"

    /// The protocols a source at `url` may be read with.
    static func protocolWhitelist(for url: String) -> String {
        isNetworkURL(url) ? "http,https,tcp,tls" : "file"
    }

    /// Opens `url` and reads enough of it to know its streams.
    ///
    /// For http(s) URLs (presigned S3 GETs) FFmpeg reconnects on dropped connections
    /// and gives up on a stalled read after `readTimeoutSeconds`. The file is read
    /// as it is demuxed, with range requests for seeks: never downloaded whole.
    ///
    /// - Throws: `AVError`; `invalidData` when the bytes are not a container we accept.
    init(url: String, cancellation: CancellationFlag = CancellationFlag(), readTimeoutSeconds: Int = 30) throws(AVError)
    {
        self.cancellation = cancellation
        let whitelist = Self.protocolWhitelist(for: url)
        // A path is always a file: "concat:…" or "subfile:…" as a path names a file, not a protocol.
        let location = Self.isNetworkURL(url) ? url : "file:" + url
        var interrupt = AVIOInterruptCB()
        interrupt.callback = { opaque in
            guard let opaque else { return 0 }
            return Unmanaged<CancellationFlag>.fromOpaque(opaque).takeUnretainedValue().isCancelled ? 1 : 0
        }
        interrupt.opaque = Unmanaged.passUnretained(cancellation).toOpaque()

        var ioOptions = AVOptions()
        ioOptions["protocol_whitelist"] = whitelist
        if Self.isNetworkURL(url) {
            ioOptions["reconnect"] = "1"
            ioOptions["reconnect_streamed"] = "1"
            ioOptions["reconnect_on_network_error"] = "1"
            ioOptions["reconnect_delay_max"] = "8"
            ioOptions["rw_timeout"] = String(readTimeoutSeconds * 1_000_000)
        }
        var io: UnsafeMutablePointer<AVIOContext>?
        try check(
            ioOptions.withUnsafeDictionary { avio_open2(&io, location, AVIO_FLAG_READ, &interrupt, $0) },
            "avio_open2"
        )
        guard let reader = io else { throw AVError(code: AVError.outOfMemory, operation: "avio_open2") }
        do throws(AVError) {
            let (sniffed, head) = try Self.sniff(reader)
            guard let format = sniffed else {
                throw AVError(code: AVError.invalidData, operation: Self.sniffOperation)
            }
            self.sniffed = format
            self.declaredLength = AudioSniffer.declaredLength(head)
            let size = avio_size(reader)
            self.actualLength = size >= 0 ? size : nil
            guard let demuxer = av_find_input_format(format.demuxer) else {
                throw AVError(code: AVError.decoderNotFound, operation: "av_find_input_format")
            }
            guard let context = avformat_alloc_context() else {
                throw AVError(code: AVError.outOfMemory, operation: "avformat_alloc_context")
            }
            context.pointee.interrupt_callback = interrupt
            context.pointee.pb = reader
            context.pointee.flags |= AVFMT_FLAG_CUSTOM_IO
            context.pointee.format_whitelist = av_strdup(AudioSniffer.demuxers.joined(separator: ","))
            context.pointee.protocol_whitelist = av_strdup(whitelist)
            context.pointee.protocol_blacklist = av_strdup("concat,subfile,crypto,data,hls,ffrtmphttp,rtmp,tee")
            var options = AVOptions()
            // MP4 data references may name other files: never follow them.
            options["enable_drefs"] = "0"
            options["use_absolute_path"] = "0"
            var opened: UnsafeMutablePointer<AVFormatContext>? = context
            // On failure avformat_open_input frees the context and sets it to NULL (our AVIO stays).
            try check(
                options.withUnsafeDictionary { avformat_open_input(&opened, location, demuxer, $0) },
                "avformat_open_input"
            )
            self.context = opened!
        } catch {
            avio_closep(&io)
            throw error
        }
        self.io = io
        // From here on deinit closes both.
        try check(avformat_find_stream_info(context, nil), "avformat_find_stream_info")
    }

    deinit {
        var context: UnsafeMutablePointer<AVFormatContext>? = context
        avformat_close_input(&context)
        avio_closep(&self.io)
    }

    /// Sniffs through `io` (seeking past ID3v2 tags), then rewinds it for the demuxer.
    private static func sniff(
        _ io: UnsafeMutablePointer<AVIOContext>
    ) throws(AVError) -> (AudioSniffer.Format?, head: [UInt8]) {
        var failure: AVError?
        var head: [UInt8]?
        let format = AudioSniffer.sniffSync { offset, length in
            guard failure == nil else { return [] }
            let position = avio_seek(io, offset, SEEK_SET)
            guard position >= 0 else {
                // Seeking past the end of a file is not an error of the file's: nothing is there.
                if position != Int64(AVError.eof) {
                    failure = AVError(code: Int32(truncatingIfNeeded: position), operation: "avio_seek")
                }
                return []
            }
            var bytes = [UInt8](repeating: 0, count: length)
            let count = bytes.withUnsafeMutableBufferPointer { avio_read(io, $0.baseAddress, Int32(length)) }
            if count < 0 {
                if count != AVError.eof { failure = AVError(code: count, operation: "avio_read") }
                return []
            }
            let read = Array(bytes.prefix(Int(count)))
            if head == nil { head = read }
            return read
        }
        if let failure { throw failure }
        let rewound = avio_seek(io, 0, SEEK_SET)
        if rewound < 0 { throw AVError(code: Int32(truncatingIfNeeded: rewound), operation: "avio_seek") }
        return (format, head ?? [])
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
