import Foundation
import Logging

/// A log handler that keeps every line, rendered with its metadata, for assertions on what reaches
/// the log.
final class CapturedLog: @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [String] = []

    var text: String { self.lock.withLock { self.lines.joined(separator: "\n") } }

    func append(_ line: String) { self.lock.withLock { self.lines.append(line) } }

    /// A logger at `info` writing here.
    func logger() -> Logger {
        var logger = Logger(label: "veza-captured") { _ in Handler(log: self) }
        logger.logLevel = .info
        return logger
    }

    struct Handler: LogHandler {
        let log: CapturedLog
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .info

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { self.metadata[key] }
            set { self.metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            let all = self.metadata.merging(event.metadata ?? [:]) { $1 }
            self.log.append(
                "\(event.level) \(event.message) \(all.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" })"
            )
        }
    }
}
