/// A configuration value that cannot be used. The message names the variable or flag and says
/// what is expected; `veza` prints it as one line and exits.
public struct ConfigurationError: Error, CustomStringConvertible, Equatable, Sendable {
    public let description: String

    init(_ description: String) {
        self.description = description
    }

    static func invalid(_ name: String, _ value: String, expected: String) -> ConfigurationError {
        ConfigurationError("\(name): '\(value.prefix(80))' is not valid; expected \(expected)")
    }

    static func missing(_ name: String, because reason: String) -> ConfigurationError {
        ConfigurationError("\(name) must be set \(reason)")
    }
}
