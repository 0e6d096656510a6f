import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import VezaAPI

extension Request {
    /// Decodes a JSON body strictly (``StrictJSON``: RFC 8259, no duplicate keys, integers where
    /// the API wants integers), answering mistakes with a 400 that says what is wrong and where
    /// (`invalid_json`), rather than Hummingbird's generic message. The body must be sent as
    /// `application/json` (415 `unsupported_media_type` otherwise).
    ///
    /// - Parameters:
    ///   - limit: Bodies larger than this are refused with 413 before decoding.
    ///   - fractionalFields: Dotted paths that may hold a number with a fraction or exponent.
    func decodeJSON<T: Decodable>(
        as type: T.Type,
        limit: Int = 64 * 1024,
        fractionalFields: Set<String> = []
    ) async throws -> T {
        try Self.requireJSON(self.headers)
        return try Self.decode(type, from: try await self.collectJSON(limit: limit), fractionalFields: fractionalFields)
    }

    /// ``decodeJSON(as:limit:fractionalFields:)`` for an optional body: nil when the request has
    /// none (no bytes, whatever its `Content-Type`).
    func decodeJSONIfPresent<T: Decodable>(as type: T.Type, limit: Int = 64 * 1024) async throws -> T? {
        let buffer = try await self.collectJSON(limit: limit)
        guard buffer.readableBytes > 0 else { return nil }
        try Self.requireJSON(self.headers)
        return try Self.decode(type, from: buffer, fractionalFields: [])
    }

    private static func requireJSON(_ headers: HTTPFields) throws {
        let mediaType = headers[.contentType]?.split(separator: ";").first?
            .trimmingCharacters(in: .whitespaces).lowercased()
        guard mediaType == "application/json" else {
            throw APIError(
                .unsupportedMediaType,
                code: "unsupported_media_type",
                message: "send the body as application/json (Content-Type: application/json)"
            )
        }
    }

    private func collectJSON(limit: Int) async throws -> ByteBuffer {
        do {
            return try await self.body.collect(upTo: limit)
        } catch is NIOTooManyBytesError {
            throw APIError(
                .contentTooLarge,
                code: "payload_too_large",
                message: "the JSON body is larger than \(limit) bytes"
            )
        }
    }

    private static func decode<T: Decodable>(
        _ type: T.Type,
        from buffer: ByteBuffer,
        fractionalFields: Set<String>
    ) throws -> T {
        let bytes = Array(buffer.readableBytesView)
        do {
            try StrictJSON.validate(bytes, fractionalFields: fractionalFields)
        } catch let violation as StrictJSON.Violation {
            throw APIError.badRequest(violation.description, code: "invalid_json")
        }
        do {
            return try APIJSON.decoder().decode(type, from: Data(bytes))
        } catch let error as DecodingError {
            throw APIError.badRequest(Self.describe(error), code: "invalid_json")
        }
    }

    static func describe(_ error: DecodingError) -> String {
        func path(_ codingPath: [any CodingKey]) -> String {
            codingPath.isEmpty
                ? "the body"
                : "'" + codingPath.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: ".") + "'"
        }
        switch error {
        case .dataCorrupted(let context) where context.codingPath.isEmpty:
            return "the body is not valid JSON"
        case .dataCorrupted(let context):
            return "\(path(context.codingPath)) is invalid: \(context.debugDescription)"
        case .keyNotFound(let key, let context):
            return "missing field '\((context.codingPath + [key]).map(\.stringValue).joined(separator: "."))'"
        case .typeMismatch(let type, let context):
            return "\(path(context.codingPath)) must be \(Self.jsonName(of: type))"
        case .valueNotFound(let type, let context):
            return "\(path(context.codingPath)) must be \(Self.jsonName(of: type)), not null"
        @unknown default:
            return "the body does not match the expected JSON"
        }
    }

    static func jsonName(of type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Int.Type, is Int64.Type, is UInt64.Type: "an integer"
        case is Double.Type: "a number"
        case is Bool.Type: "true or false"
        default: "a \(type)"
        }
    }
}
