import Logging

extension Logger {
    /// The process logger at the configured level.
    public static func veza(level: String) -> Logger {
        var logger = Logger(label: "veza")
        logger.logLevel = Logger.Level(rawValue: level) ?? .info
        return logger
    }
}
