import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix

/// A request as a ``FakeHTTPServer`` received it, kept for assertions.
public struct FakeHTTPRequest: Sendable {
    public var method: String
    /// The path, percent-decoded, without the query.
    public var path: String
    /// The path's segments, each percent-decoded (so an encoded `/` stays inside its segment).
    public var segments: [String]
    /// The query string as sent (without `?`), or empty.
    public var query: String
    /// Every header as sent, in order.
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]

    /// The first value of a header, matched case-insensitively.
    public func header(_ name: String) -> String? {
        self.headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }

    /// The body as UTF-8 text.
    public var bodyText: String { String(decoding: self.body, as: UTF8.self) }

    /// The body as a JSON object, or `nil`.
    public var jsonObject: [String: Any]? {
        (try? JSONSerialization.jsonObject(with: Data(self.body))) as? [String: Any]
    }
}

/// What a ``FakeHTTPServer`` handler answers.
public struct FakeHTTPResponse: Sendable {
    public var status: Int
    public var headers: [(String, String)]
    public var body: [UInt8]

    public init(status: Int, headers: [(String, String)] = [], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// A JSON answer.
    public static func json(_ status: Int, _ body: [UInt8]) -> FakeHTTPResponse {
        FakeHTTPResponse(status: status, headers: [("content-type", "application/json")], body: body)
    }
}

/// A small HTTP/1.1 server on 127.0.0.1 (a free port) for tests: every request is read whole and
/// passed to an async handler, whose answer is sent back. It stands in for services that cannot
/// run here (payment providers), speaking their wire API through the handler.
public final class FakeHTTPServer: Sendable {
    public typealias Handler = @Sendable (FakeHTTPRequest) async -> FakeHTTPResponse

    private let serverChannel: any Channel
    private let connections: ConnectionSet
    /// `http://127.0.0.1:<port>`.
    public let url: URL
    public var port: Int { self.url.port ?? 0 }

    private init(serverChannel: any Channel, connections: ConnectionSet, port: Int) {
        self.serverChannel = serverChannel
        self.connections = connections
        self.url = URL(string: "http://127.0.0.1:\(port)")!
    }

    /// Starts listening.
    ///
    /// - Parameter handler: Called once per request, concurrently for concurrent requests.
    public static func start(handler: @escaping Handler) async throws -> FakeHTTPServer {
        let connections = ConnectionSet()
        let channel = try await ServerBootstrap(group: .singletonMultiThreadedEventLoopGroup)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                connections.insert(channel)
                channel.closeFuture.whenComplete { _ in connections.remove(channel) }
                return channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(RequestHandler(handler: handler))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        guard let port = channel.localAddress?.port else {
            try? await channel.close()
            throw POSIXError(.EADDRNOTAVAIL)
        }
        return FakeHTTPServer(serverChannel: channel, connections: connections, port: port)
    }

    /// Stops listening and closes every open connection.
    public func shutdown() async {
        try? await self.serverChannel.close()
        for channel in self.connections.all() { try? await channel.close() }
    }
}

/// The open connections, so that shutdown can close kept-alive ones.
private final class ConnectionSet: @unchecked Sendable {
    private let lock = NSLock()
    private var channels: [ObjectIdentifier: any Channel] = [:]

    func insert(_ channel: any Channel) { self.lock.withLock { self.channels[ObjectIdentifier(channel)] = channel } }
    func remove(_ channel: any Channel) { self.lock.withLock { self.channels[ObjectIdentifier(channel)] = nil } }
    func all() -> [any Channel] { self.lock.withLock { Array(self.channels.values) } }
}

/// Collects one request at a time and answers it through the handler, on the channel's event loop.
private final class RequestHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let handler: FakeHTTPServer.Handler
    private var head: HTTPRequestHead?
    private var body: [UInt8] = []

    init(handler: @escaping FakeHTTPServer.Handler) {
        self.handler = handler
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch self.unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
            self.body = []
        case .body(var buffer):
            self.body += buffer.readBytes(length: buffer.readableBytes) ?? []
        case .end:
            guard let head = self.head else { return }
            self.head = nil
            let (rawPath, query) = Self.split(head.uri)
            let request = FakeHTTPRequest(
                method: head.method.rawValue,
                path: rawPath.removingPercentEncoding ?? rawPath,
                segments: rawPath.split(separator: "/").map { $0.removingPercentEncoding ?? String($0) },
                query: query,
                headers: head.headers.map { ($0.name, $0.value) },
                body: self.body
            )
            let keepAlive = head.isKeepAlive
            let eventLoop = context.eventLoop
            let loopBound = NIOLoopBound((handler: self, context: context), eventLoop: eventLoop)
            let handler = self.handler
            Task {
                let response = await handler(request)
                eventLoop.execute {
                    loopBound.value.handler.write(response, keepAlive: keepAlive, context: loopBound.value.context)
                }
            }
        }
    }

    private func write(_ response: FakeHTTPResponse, keepAlive: Bool, context: ChannelHandlerContext) {
        var headers = HTTPHeaders(response.headers)
        headers.replaceOrAdd(name: "content-length", value: String(response.body.count))
        if !keepAlive { headers.replaceOrAdd(name: "connection", value: "close") }
        let head = HTTPResponseHead(
            version: .http1_1,
            status: HTTPResponseStatus(statusCode: response.status),
            headers: headers
        )
        context.write(self.wrapOutboundOut(.head(head)), promise: nil)
        context.write(self.wrapOutboundOut(.body(.byteBuffer(ByteBuffer(bytes: response.body)))), promise: nil)
        let done = context.writeAndFlush(self.wrapOutboundOut(.end(nil)))
        if !keepAlive {
            let channel = context.channel
            done.whenComplete { _ in channel.close(promise: nil) }
        }
    }

    private static func split(_ uri: String) -> (String, String) {
        guard let mark = uri.firstIndex(of: "?") else { return (uri, "") }
        return (String(uri[..<mark]), String(uri[uri.index(after: mark)...]))
    }
}
