import CoreMetrics
import HTTPTypes
import Synchronization

/// The request metrics Hummingbird's `MetricsMiddleware` records, under the same names and
/// dimensions, for answers written outside the router. The handles are made once per route,
/// method and status, as the middleware does: making one costs more than the request.
enum RequestMetrics {
    struct Key: Hashable {
        var route: String
        var method: HTTPRequest.Method
        var status: Int
    }

    static let handles = Mutex<[Key: (CoreMetrics.Counter, CoreMetrics.Timer)]>([:])

    static func record(route: String, method: HTTPRequest.Method, status: HTTPResponse.Status, nanoseconds: UInt64) {
        let key = Key(route: route, method: method, status: status.code)
        let (counter, timer) = Self.handles.withLock { handles in
            if let made = handles[key] { return made }
            let dimensions = [
                ("http.route", route),
                ("http.request.method", method.rawValue),
                ("http.response.status_code", String(status.code)),
            ]
            let made = (
                Counter(label: "hb.requests", dimensions: dimensions),
                CoreMetrics.Timer(
                    label: "http.server.request.duration",
                    dimensions: dimensions,
                    preferredDisplayUnit: .seconds
                )
            )
            handles[key] = made
            return made
        }
        counter.increment()
        timer.recordNanoseconds(Int64(clamping: nanoseconds))
    }
}
