import CFFmpeg

/// An error returned by an FFmpeg function: the negative `AVERROR` code and
/// FFmpeg's own message for it (from `av_strerror`).
public struct AVError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The negative error code FFmpeg returned.
    public let code: Int32
    /// FFmpeg's message for `code`, e.g. "Invalid data found when processing input".
    public let message: String
    /// The FFmpeg call that failed, e.g. `avformat_open_input`.
    public let operation: String

    /// Makes an error for `code`, looking up FFmpeg's message.
    public init(code: Int32, operation: String = "") {
        self.code = code
        self.message = AVError.message(for: code)
        self.operation = operation
    }

    public var description: String {
        operation.isEmpty ? "\(message) (\(code))" : "\(operation): \(message) (\(code))"
    }

    /// FFmpeg's text for an error code. `av_strerror` fills the buffer even for
    /// unknown codes ("Error number -N occurred"), so the result is never empty.
    static func message(for code: Int32) -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        _ = av_strerror(code, &buffer, buffer.count)
        return String(cStringBytes: buffer)
    }

    static let eof = veza_averror_eof()
    static let again = veza_averror_eagain()
    static let invalidData = veza_averror_invaliddata()
    static let streamNotFound = veza_averror_stream_not_found()
    static let decoderNotFound = veza_averror_decoder_not_found()
    static let exit = veza_averror_exit()
    static let inputChanged = veza_averror_input_changed()
    static let outOfMemory = veza_averror(ENOMEM)
    static let invalidArgument = veza_averror(EINVAL)
}

extension String {
    /// Decodes C characters up to the first NUL as UTF-8, repairing invalid bytes.
    /// (`String(cString:)` on an array is deprecated in Swift 6.3.)
    init(cStringBytes bytes: [CChar]) {
        let end = bytes.firstIndex(of: 0) ?? bytes.endIndex
        self = String(decoding: bytes[..<end].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

/// Throws an `AVError` when an FFmpeg call returned a negative value; returns it otherwise.
@discardableResult
func check(_ result: Int32, _ operation: @autoclosure () -> String) throws(AVError) -> Int32 {
    if result < 0 {
        throw AVError(code: result, operation: operation())
    }
    return result
}
