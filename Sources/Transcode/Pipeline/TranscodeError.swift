import Foundation

/// Why a probe or transcode failed, with a reason a person can act on
/// ("no audio stream", "could not decode: Invalid data found when processing input").
///
/// Equality compares the kind of failure only, so tests and callers can match
/// `error == .noAudioStream` without the detail text.
public struct TranscodeError: Error, Sendable, Equatable, CustomStringConvertible {
    private enum Code: Sendable, Equatable {
        case unreadableInput, noAudioStream, unsupportedCodec, decodeFailed, truncated
        case noAudioDecoded, encodeFailed, invalidConfiguration, tooLong, timedOut, notAudio
    }

    private let code: Code
    /// A readable reason, e.g. "could not decode: Invalid data found when processing input".
    public let reason: String
    /// The FFmpeg error underneath, when there was one.
    public let underlying: AVError?

    private init(_ code: Code, _ reason: String, underlying: AVError? = nil) {
        self.code = code
        self.reason = reason
        self.underlying = underlying
    }

    public var description: String { reason }

    public static func == (lhs: TranscodeError, rhs: TranscodeError) -> Bool { lhs.code == rhs.code }

    /// The bytes are not a container we accept (``AudioSniffer``): a playlist, a script, text…
    public static let notAudio = TranscodeError(
        .notAudio,
        "not a recognised audio file (MP3, AAC, FLAC, WAV, AIFF, Ogg, MP4/M4A or CAF)"
    )

    /// The input could not be opened or is not a media file FFmpeg recognises.
    public static func unreadableInput(_ error: AVError) -> TranscodeError {
        if error.operation == FormatInput.sniffOperation { return .notAudio }
        // FFmpeg's text for a file it cannot make sense of ("Invalid argument") needs a hint.
        let corrupt = error.code == AVError.invalidData || error.code == AVError.invalidArgument
        let hint = corrupt ? " (not a readable audio file, or a damaged one)" : ""
        return TranscodeError(.unreadableInput, "could not read input: \(error.message)\(hint)", underlying: error)
    }
    public static let unreadableInput = TranscodeError(.unreadableInput, "could not read input")

    /// The file has streams, but none of them is audio (cover art and data streams are ignored).
    public static let noAudioStream = TranscodeError(.noAudioStream, "no audio stream")

    /// The audio stream uses a codec this FFmpeg build cannot decode.
    public static func unsupportedCodec(_ name: String) -> TranscodeError {
        TranscodeError(.unsupportedCodec, "no decoder for audio codec \(name)")
    }
    public static let unsupportedCodec = TranscodeError(.unsupportedCodec, "no decoder for audio codec")

    /// The audio data is damaged beyond what skipping a few packets can repair.
    public static func decodeFailed(_ error: AVError?) -> TranscodeError {
        TranscodeError(.decodeFailed, "could not decode: \(error?.message ?? "no audio frames")", underlying: error)
    }
    public static let decodeFailed = TranscodeError(.decodeFailed, "could not decode")

    /// Decoding stopped well before the duration the file's header declares.
    public static func truncated(decodedSeconds: Double, declaredSeconds: Double) -> TranscodeError {
        let decoded = (decodedSeconds * 10).rounded() / 10
        let declared = (declaredSeconds * 10).rounded() / 10
        return TranscodeError(
            .truncated,
            "file is truncated: decoded \(decoded) s of the \(declared) s its header declares"
        )
    }
    public static let truncated = TranscodeError(.truncated, "file is truncated")

    /// The container's header declares more bytes than the file holds.
    public static func truncated(declaredBytes: Int64, actualBytes: Int64) -> TranscodeError {
        func size(_ bytes: Int64) -> String {
            for (unit, scale) in [("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)] where bytes >= scale {
                return "\((Double(bytes) / Double(scale) * 10).rounded() / 10) \(unit)"
            }
            return "\(bytes) bytes"
        }
        let declared = size(declaredBytes)
        let actual = size(actualBytes)
        return TranscodeError(
            .truncated,
            "file is truncated: its header declares \(declared), the file holds \(actual)"
        )
    }

    /// The stream decoded to nothing (no samples at all).
    public static let noAudioDecoded = TranscodeError(.noAudioDecoded, "no audio could be decoded")

    /// The AAC encoder or the MP4 muxer failed.
    public static func encodeFailed(_ error: AVError) -> TranscodeError {
        TranscodeError(.encodeFailed, "could not encode: \(error.description)", underlying: error)
    }
    public static let encodeFailed = TranscodeError(.encodeFailed, "could not encode")

    /// The source declares or decodes to more audio than a track may hold (`MAX_TRACK_SECONDS`).
    public static func tooLong(limitSeconds: Double) -> TranscodeError {
        TranscodeError(.tooLong, "the audio is longer than the \(Self.hours(limitSeconds)) a track may last")
    }
    public static let tooLong = TranscodeError(.tooLong, "the audio is too long")

    /// The transcode ran for longer than its wall-clock limit (a source that never ends, a
    /// stalled read) and was stopped.
    public static func timedOut(limitSeconds: Double) -> TranscodeError {
        TranscodeError(.timedOut, "transcoding took longer than \(Self.hours(limitSeconds)) and was stopped")
    }
    public static let timedOut = TranscodeError(.timedOut, "transcoding took too long")

    static func hours(_ seconds: Double) -> String {
        if seconds >= 3600 && seconds.truncatingRemainder(dividingBy: 3600) == 0 { return "\(Int(seconds / 3600)) h" }
        if seconds >= 60 && seconds.truncatingRemainder(dividingBy: 60) == 0 { return "\(Int(seconds / 60)) min" }
        return "\(Int(seconds.rounded())) s"
    }

    /// The ladder or segment length makes no sense (empty ladder, a bit rate out of range…).
    public static func invalidConfiguration(_ reason: String) -> TranscodeError {
        TranscodeError(.invalidConfiguration, "invalid configuration: \(reason)")
    }
    public static let invalidConfiguration = TranscodeError(.invalidConfiguration, "invalid configuration")
}
