/// Every 4xx and 5xx body: `{"error": {"code": "…", "message": "…"}}`.
public struct APIErrorBody: Codable, Sendable, Equatable {
    public struct Detail: Codable, Sendable, Equatable {
        /// Stable, machine-readable (`chunk_too_large`, `unauthorized`, …).
        public var code: String
        /// For a person: what to fix.
        public var message: String

        public init(code: String, message: String) {
            self.code = code
            self.message = message
        }
    }

    public var error: Detail

    public init(code: String, message: String) {
        self.error = Detail(code: code, message: message)
    }
}
