import Foundation
import Hummingbird
import Logging
import NIOCore

/// `GET /openapi.json`: the API's description (``OpenAPIDocument``), for client generators and
/// the suite's schemathesis run.
struct OpenAPIController: Sendable {
    let document: Result<Data, OpenAPIDocument.AssemblyError>

    init(logger: Logger) {
        do {
            self.document = .success(try OpenAPIDocument.bundled().json)
        } catch {
            // A test keeps the shipped document whole; should it still fail, the API keeps serving.
            logger.error("openapi document not assembled", metadata: ["error.message": "\(error)"])
            self.document = .failure(.init(description: "\(error)"))
        }
    }

    var endpoints: RouteCollection<AppRequestContext> {
        let routes = RouteCollection(context: AppRequestContext.self)
        routes.get("openapi.json") { _, _ in
            guard case .success(let data) = self.document else { throw APIError.unexpected }
            return Response(
                status: .ok,
                headers: [.contentType: "application/json; charset=utf-8", .cacheControl: "no-cache"],
                body: .init(byteBuffer: ByteBuffer(bytes: data))
            )
        }
        return routes
    }
}
