import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import VezaAPI

/// `GET /health` (liveness: the process answers) and `GET /health/deep` (each dependency, 503 when
/// one fails, so a load balancer takes the node out).
struct HealthController {
    let checks: [any HealthCheck]

    var endpoints: RouteCollection<AppRequestContext> {
        let routes = RouteCollection(context: AppRequestContext.self)
        routes.get("health") { _, _ in
            Self.json(["status": "ok"], status: .ok)
        }
        routes.get("health/deep") { _, _ in
            await self.deep()
        }
        return routes
    }

    func deep() async -> Response {
        let reports = await withTaskGroup(of: (String, HealthReport).self) { group in
            for check in self.checks {
                group.addTask { (check.name, await check.check()) }
            }
            var reports: [String: HealthReport] = [:]
            for await (name, report) in group { reports[name] = report }
            return reports
        }
        struct Body: Encodable {
            let status: String
            let checks: [String: HealthReport]
        }
        let ok = reports.values.allSatisfy(\.ok)
        return Self.json(Body(status: ok ? "ok" : "failing", checks: reports), status: ok ? .ok : .serviceUnavailable)
    }

    static func json(_ value: some Encodable, status: HTTPResponse.Status) -> Response {
        let data = (try? APIJSON.encoder().encode(value)) ?? Data()
        return Response(
            status: status,
            headers: [.contentType: "application/json; charset=utf-8", .cacheControl: "no-store"],
            body: .init(byteBuffer: ByteBuffer(bytes: data))
        )
    }
}
