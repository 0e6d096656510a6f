import Foundation
import HTTPTypes
import Hummingbird
import Logging

/// Logs each request at `info`: method, path, a query string with its secrets redacted, status.
///
/// Replaces Hummingbird's `LogRequestsMiddleware`, which writes the full URI: share links
/// (`?share=`), presigned S3 parameters and tokens would reach the log.
struct RequestLogMiddleware<Context: RequestContext>: RouterMiddleware {
    /// Query parameters whose values never reach a log.
    static var secretParameters: Set<String> { ["share", "x-amz-signature", "x-amz-credential", "token"] }

    func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        // Below `info` (LOG_LEVEL=warning) the line is never written: build nothing for it.
        guard context.logger.logLevel <= .info else { return try await next(request, context) }
        var metadata: Logger.Metadata = [
            "http.method": "\(request.method.rawValue)",
            "http.path": "\(request.uri.path)",
        ]
        if let query = request.uri.query, !query.isEmpty {
            metadata["http.query"] = "\(Self.redacting(query: query))"
        }
        do {
            let response = try await next(request, context)
            metadata["http.status"] = "\(response.status.code)"
            context.logger.info("request", metadata: metadata)
            return response
        } catch {
            // The status is decided by JSONErrorMiddleware, inside this one.
            metadata["http.status"] = "\((error as? any HTTPResponseError)?.status.code ?? 500)"
            context.logger.info("request", metadata: metadata)
            throw error
        }
    }

    /// `a=1&share=abc` → `a=1&share=REDACTED`; parameter names compare case-insensitively, and
    /// percent-encoded names are decoded before comparing.
    static func redacting(query: String) -> String {
        query.split(separator: "&", omittingEmptySubsequences: false).map { pair -> String in
            let name = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
            let decoded = (String(name).removingPercentEncoding ?? String(name)).lowercased()
            return Self.secretParameters.contains(decoded) ? "\(name)=REDACTED" : String(pair)
        }.joined(separator: "&")
    }
}
