import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// The web app: `GET /` (the page) and `GET /app/{file}` (its scripts and styles), the package's
/// `Public` resources read once at start-up (a few kilobytes).
///
/// Its responses carry the page's security headers: a Content-Security-Policy that allows scripts
/// and styles from this server only (no inline code), media and requests to this server and the
/// configured store (where `/stream` redirects and presigned segments point), no framing, no
/// referrer (share tokens ride in URLs) and no content sniffing. The API and HLS routes keep their
/// own headers (and their CORS).
struct WebAppController: Sendable {
    struct Asset: Sendable {
        let bytes: ByteBuffer
        let contentType: String
    }

    let assets: [String: Asset]
    let securityHeaders: HTTPFields

    /// - Parameter storeOrigin: The S3 endpoint's origin, or nil for the local store.
    init(storeOrigin: String?) {
        var assets: [String: Asset] = [:]
        let types = ["html": "text/html", "js": "text/javascript", "css": "text/css", "svg": "image/svg+xml"]
        if let folder = Bundle.module.resourceURL?.appendingPathComponent("Public"),
            let names = try? FileManager.default.contentsOfDirectory(atPath: folder.path)
        {
            for name in names {
                guard let type = types[(name as NSString).pathExtension],
                    let data = FileManager.default.contents(atPath: folder.appendingPathComponent(name).path)
                else { continue }
                assets[name] = Asset(bytes: ByteBuffer(bytes: data), contentType: type + "; charset=utf-8")
            }
        }
        self.assets = assets
        let extra = storeOrigin.map { " \($0)" } ?? ""
        self.securityHeaders = [
            .contentSecurityPolicy: [
                "default-src 'none'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:",
                "media-src 'self' blob:\(extra)", "connect-src 'self'\(extra)", "base-uri 'none'",
                "form-action 'none'", "frame-ancestors 'none'",
            ].joined(separator: "; "),
            .xContentTypeOptions: "nosniff",
            HTTPField.Name("Referrer-Policy")!: "no-referrer",
            HTTPField.Name("X-Frame-Options")!: "DENY",
            HTTPField.Name("Cross-Origin-Opener-Policy")!: "same-origin",
        ]
    }

    /// The origin (`scheme://host[:port]`) of an S3 endpoint, for the policy.
    static func origin(of endpoint: String) -> String? {
        guard let url = URL(string: endpoint), let scheme = url.scheme, let host = url.host else { return nil }
        return "\(scheme)://\(host)" + (url.port.map { ":\($0)" } ?? "")
    }

    var endpoints: RouteCollection<AppRequestContext> {
        let routes = RouteCollection(context: AppRequestContext.self)
        routes.get("/") { _, _ in try self.serve("index.html") }
        routes.get("app/:file") { _, context in try self.serve(context.parameters.get("file") ?? "") }
        return routes
    }

    func serve(_ name: String) throws -> Response {
        // Only the files shipped in the package: the name is a dictionary key, never a path.
        guard let asset = self.assets[name] else { throw APIError.notFound("no such file") }
        var headers = self.securityHeaders
        headers[.contentType] = asset.contentType
        headers[.cacheControl] = "no-cache"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: asset.bytes))
    }
}
