import CFFmpeg

/// Owns an `AVPacket`; freed in `deinit`.
final class Packet {
    let pointer: UnsafeMutablePointer<AVPacket>

    init() throws(AVError) {
        guard let packet = av_packet_alloc() else {
            throw AVError(code: AVError.outOfMemory, operation: "av_packet_alloc")
        }
        pointer = packet
    }

    deinit {
        var packet: UnsafeMutablePointer<AVPacket>? = pointer
        av_packet_free(&packet)
    }

    var streamIndex: Int32 { pointer.pointee.stream_index }
    var pts: Int64 { pointer.pointee.pts }
    var duration: Int64 { pointer.pointee.duration }
    var size: Int { Int(pointer.pointee.size) }

    /// Drops the payload so the packet can be reused for the next read.
    func unref() { av_packet_unref(pointer) }
}
