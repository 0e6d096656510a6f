import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import VezaAPI

/// `GET /health` (liveness: the process answers) and `GET /health/deep` (each dependency, 503 when
/// one fails, so a load balancer takes the node out).
///
/// `/health/deep` tells the public only `ok`/`failing` per check: versions, hosts, users, buckets
/// and paths are for admins (bearer token), or for everyone with `HEALTH_DETAILS=public`. The
/// checks run at most once per ``HealthCache/lifetime``, so polling cannot load the database or S3.
struct HealthController {
    let cache: HealthCache
    let details: AppConfiguration.HealthDetails

    init(checks: [any HealthCheck], details: AppConfiguration.HealthDetails, cacheLifetime: Duration = .seconds(5)) {
        self.cache = HealthCache(checks: checks, lifetime: cacheLifetime)
        self.details = details
    }

    var endpoints: RouteCollection<AppRequestContext> {
        let routes = RouteCollection(context: AppRequestContext.self)
        routes.get("health") { _, _ in
            Self.json(["status": "ok"], status: .ok)
        }
        routes.get("health/deep") { _, context in
            await self.deep(showDetails: self.details == .public || context.identity?.isAdmin == true)
        }
        return routes
    }

    func deep(showDetails: Bool) async -> Response {
        let reports = await self.cache.reports()
        let ok = reports.values.allSatisfy(\.ok)
        let status = ok ? "ok" : "failing"
        let code: HTTPResponse.Status = ok ? .ok : .serviceUnavailable
        if showDetails {
            struct Detailed: Encodable {
                let status: String
                let checks: [String: HealthReport]
            }
            return Self.json(Detailed(status: status, checks: reports), status: code)
        }
        struct Public: Encodable {
            let status: String
            let checks: [String: String]
        }
        return Self.json(Public(status: status, checks: reports.mapValues { $0.ok ? "ok" : "failing" }), status: code)
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

/// The last run of the health checks, reused for `lifetime`; concurrent callers share one run.
actor HealthCache {
    let checks: [any HealthCheck]
    let lifetime: Duration
    private var last: (at: ContinuousClock.Instant, reports: [String: HealthReport])?
    private var running: Task<[String: HealthReport], Never>?

    init(checks: [any HealthCheck], lifetime: Duration) {
        self.checks = checks
        self.lifetime = lifetime
    }

    func reports() async -> [String: HealthReport] {
        let now = ContinuousClock.now
        if let last, now - last.at < self.lifetime { return last.reports }
        if let running { return await running.value }
        let checks = self.checks
        let task = Task {
            await withTaskGroup(of: (String, HealthReport).self) { group in
                for check in checks {
                    group.addTask { (check.name, await check.check()) }
                }
                var reports: [String: HealthReport] = [:]
                for await (name, report) in group { reports[name] = report }
                return reports
            }
        }
        self.running = task
        let reports = await task.value
        self.running = nil
        self.last = (ContinuousClock.now, reports)
        return reports
    }
}
