import CFFmpeg
import Foundation
import Logging

/// Routes FFmpeg's `av_log` output into swift-log.
///
/// FFmpeg logs through one process-wide callback, so this is global: the first
/// `install` wins unless `replace` is set. FFmpeg's levels map so that a service
/// logging at `.info` stays quiet: FFmpeg errors → `.error`, warnings → `.warning`,
/// info → `.debug`, verbose and debug → `.trace`.
public enum FFmpegLog {
    /// Installs the callback, logging through `logger` (label it e.g. "veza.ffmpeg").
    public static func install(logger: Logger, replace: Bool = false) {
        let installed = state.withLock { state -> Bool in
            if state.logger != nil && !replace { return false }
            state.logger = logger
            return true
        }
        guard installed else { return }
        // Messages above this level are dropped inside FFmpeg, before any formatting.
        av_log_set_level(ffmpegLevel(for: logger.logLevel))
        av_log_set_callback { avcl, level, format, arguments in
            guard let arguments else { return }
            FFmpegLog.log(avcl: avcl, level: level, format: format, arguments: arguments)
        }
    }

    private static func log(
        avcl: UnsafeMutableRawPointer?,
        level: Int32,
        format: UnsafePointer<CChar>?,
        arguments: CVaListPointer
    ) {
        guard level <= av_log_get_level(), let format else { return }
        guard let logger = state.withLock({ $0.logger }) else { return }
        let swiftLevel = swiftLevel(for: level)
        guard swiftLevel >= logger.logLevel else { return }
        var buffer = [CChar](repeating: 0, count: 1024)
        // FFmpeg keeps `print_prefix` between calls to know whether a line continues;
        // each call here is logged on its own, so always ask for the "[codec @ 0x…]" prefix.
        var printPrefix: Int32 = 1
        _ = av_log_format_line2(avcl, level, format, arguments, &buffer, Int32(buffer.count), &printPrefix)
        let line = String(cStringBytes: buffer).trimmingCharacters(in: .whitespacesAndNewlines)
        guard !line.isEmpty else { return }
        logger.log(level: swiftLevel, "\(line)", metadata: ["ffmpeg.level": "\(level)"])
    }

    static func swiftLevel(for ffmpegLevel: Int32) -> Logger.Level {
        switch ffmpegLevel {
        case ...AV_LOG_ERROR: .error
        case ...AV_LOG_WARNING: .warning
        case ...AV_LOG_INFO: .debug
        default: .trace
        }
    }

    static func ffmpegLevel(for level: Logger.Level) -> Int32 {
        switch level {
        case .trace: AV_LOG_DEBUG
        case .debug: AV_LOG_INFO
        case .info, .notice, .warning: AV_LOG_WARNING
        case .error, .critical: AV_LOG_ERROR
        }
    }

    private struct State {
        var logger: Logger?
    }

    private static let state = LockedState(State())
}

/// A value behind an `NSLock`, for the little global state FFmpeg's C callbacks need.
final class LockedState<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value

    init(_ value: Value) { self.value = value }

    func withLock<Result>(_ body: (inout Value) throws -> Result) rethrows -> Result {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }
}
