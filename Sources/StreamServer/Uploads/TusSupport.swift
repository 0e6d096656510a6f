import Foundation
import HTTPTypes
import Hummingbird

/// Checks `Tus-Resumable` (412 for another version; OPTIONS is exempt) and adds it to every
/// response, errors included.
struct TusHeadersMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext

    func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        var response: Response
        if request.method != .options, request.headers[TusField.resumable] != TusController.version {
            response = APIError(
                .preconditionFailed,
                code: "unsupported_tus_version",
                message: "send Tus-Resumable: \(TusController.version)",
                headers: [TusField.version: TusController.version]
            ).response()
        } else {
            do {
                response = try await next(request, context)
            } catch let error as APIError {
                response = error.response()
            }
        }
        response.headers[TusField.resumable] = TusController.version
        return response
    }
}

/// `Upload-Metadata`: comma-separated `key base64value` pairs (the value may be absent).
struct TusMetadata {
    private var values: [String: String] = [:]

    init(_ header: String) throws {
        for pair in header.split(separator: ",") {
            let parts = pair.trimmingCharacters(in: .whitespaces).split(separator: " ", maxSplits: 1).map(String.init)
            guard let key = parts.first, !key.isEmpty else { continue }
            if parts.count == 2 {
                guard let data = Data(base64Encoded: parts[1]), let value = String(data: data, encoding: .utf8) else {
                    throw APIError.badRequest(
                        "Upload-Metadata value for '\(key)' is not base64 UTF-8",
                        code: "invalid_argument"
                    )
                }
                self.values[key] = value
            } else {
                self.values[key] = ""
            }
        }
    }

    subscript(key: String) -> String? {
        self.values[key].flatMap { $0.isEmpty ? nil : $0 }
    }
}
