import Foundation
import Hummingbird
import NIOCore

extension Request {
    /// Decodes a JSON body, answering mistakes with a 400 that says what is wrong and where
    /// (`invalid_json`), rather than Hummingbird's generic message.
    ///
    /// - Parameter limit: Bodies larger than this are refused with 413 before decoding.
    func decodeJSON<T: Decodable>(as type: T.Type, limit: Int = 64 * 1024) async throws -> T {
        if let contentType = self.headers[.contentType], !contentType.lowercased().hasPrefix("application/json") {
            throw APIError(
                .unsupportedMediaType,
                code: "unsupported_media_type",
                message: "send the body as application/json"
            )
        }
        let buffer: ByteBuffer
        do {
            buffer = try await self.body.collect(upTo: limit)
        } catch is NIOTooManyBytesError {
            throw APIError(
                .contentTooLarge,
                code: "payload_too_large",
                message: "the JSON body is larger than \(limit) bytes"
            )
        }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        do {
            return try decoder.decode(type, from: Data(buffer.readableBytesView))
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
