import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import Retry
import SignedURL
import Storage
import Testing

/// Which requests ``S3Store`` retries, and how failures surface, against a local HTTP endpoint
/// that fails on purpose (the real store cannot be made to fail on demand).
@Suite("S3Store retries and timeouts")
struct S3RetryTests {
    @Test func transientErrorsRetryOnlyIdempotentReplayableRequests() async throws {
        try await FailingServer.with(.slowDown) { server, store in
            let get = await #expect(throws: StorageError.throttled) { try await store.get(key: "a") }
            #expect(get?.s3Code == "SlowDown")
            #expect(get?.requestID == "FAKE-REQUEST")
            #expect(server.requests() == 3)

            await #expect(throws: StorageError.throttled) { try await store.put(key: "a", body: .bytes([1, 2, 3])) }
            #expect(server.requests() == 6)

            // A stream cannot be sent twice; POSTs are not idempotent.
            await #expect(throws: StorageError.throttled) {
                try await store.put(key: "a", body: streamBody(testBytes(1000)))
            }
            #expect(server.requests() == 7)
            await #expect(throws: StorageError.throttled) { try await store.createMultipartUpload(key: "a") }
            #expect(server.requests() == 8)
            await #expect(throws: StorageError.throttled) {
                try await store.completeMultipartUpload(
                    MultipartUpload(key: "a", uploadID: "u"),
                    parts: [CompletedPart(partNumber: 1, etag: "e")]
                )
            }
            #expect(server.requests() == 9)
        }
    }

    @Test func serverErrorsMapToUnavailable() async throws {
        try await FailingServer.with(.internalError) { server, store in
            let error = await #expect(throws: StorageError.unavailable) { try await store.head(key: "a") }
            #expect(error?.httpStatus == 500)
            #expect(server.requests() == 3)
        }
    }

    @Test func timeoutsAreConfigurableAndRetried() async throws {
        try await FailingServer.with(.silent, requestTimeout: .milliseconds(300)) { server, store in
            let started = ContinuousClock.now
            await #expect(throws: StorageError.timeout) { try await store.get(key: "a") }
            // About 1 s here; the defaults would take 3 × 30 s. The bound tells the two apart with
            // room for a machine busy with other suites (30 s was missed once under load).
            #expect(ContinuousClock.now - started < .seconds(60))
            #expect(server.requests() == 3)
        }
    }

    @Test func connectionErrorsAreTyped() async throws {
        // Port 1 (tcpmux): nothing listens there. A port freed by the test itself is not safe:
        // a test running in parallel may bind it in between.
        let store = try S3Store(
            configuration: .init(
                endpoint: "http://127.0.0.1:1",
                bucket: "b",
                credentials: AWSCredentials(accessKeyID: "a", secretAccessKey: "s"),
                retry: RetryPolicy(
                    maximumAttempts: 2,
                    backoff: Backoff(base: .milliseconds(10), cap: .seconds(5), jitter: .full)
                )
            )
        )
        await #expect(throws: StorageError.connection) { try await store.get(key: "a") }
        try await store.shutdown()
    }
}

/// An HTTP server on 127.0.0.1 that answers every request the same failing way.
final class FailingServer: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    enum Behaviour: Sendable {
        case slowDown, internalError, silent
    }

    let behaviour: Behaviour
    private let lock = NSLock()
    private var count = 0

    init(behaviour: Behaviour) {
        self.behaviour = behaviour
    }

    func requests() -> Int {
        self.lock.withLock { self.count }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard case .end = self.unwrapInboundIn(data) else { return }
        self.lock.withLock { self.count += 1 }
        let (status, body): (HTTPResponseStatus, String)
        switch self.behaviour {
        case .silent:
            return
        case .slowDown:
            status = .serviceUnavailable
            body =
                "<Error><Code>SlowDown</Code><Message>Reduce your request rate.</Message><RequestId>FAKE-REQUEST</RequestId></Error>"
        case .internalError:
            status = .internalServerError
            body = ""
        }
        var headers = HTTPHeaders()
        headers.add(name: "content-length", value: String(body.utf8.count))
        context.write(
            self.wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: status, headers: headers))),
            promise: nil
        )
        context.write(self.wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: body)))), promise: nil)
        context.writeAndFlush(self.wrapOutboundOut(.end(nil)), promise: nil)
    }

    static func with(
        _ behaviour: Behaviour,
        requestTimeout: Duration = .seconds(5),
        _ body: (FailingServer, S3Store) async throws -> Void
    ) async throws {
        let handler = FailingServer(behaviour: behaviour)
        let channel = try await ServerBootstrap(group: .singletonMultiThreadedEventLoopGroup)
            .childChannelInitializer { channel in
                channel.pipeline.configureHTTPServerPipeline().flatMap {
                    channel.pipeline.addHandler(SharedHandler(handler))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        let store = try S3Store(
            configuration: .init(
                endpoint: "http://127.0.0.1:\(channel.localAddress!.port!)",
                bucket: "bucket",
                credentials: AWSCredentials(accessKeyID: "a", secretAccessKey: "s"),
                timeouts: .init(request: requestTimeout, upload: requestTimeout),
                retry: RetryPolicy(
                    maximumAttempts: 3,
                    backoff: Backoff(base: .milliseconds(10), cap: .milliseconds(50), jitter: .full)
                )
            )
        )
        do {
            try await body(handler, store)
        } catch {
            try? await store.shutdown()
            try? await channel.close()
            throw error
        }
        try await store.shutdown()
        try await channel.close()
    }
}

/// Forwards to one shared handler from every connection.
final class SharedHandler: ChannelInboundHandler, Sendable {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart
    let target: FailingServer

    init(_ target: FailingServer) { self.target = target }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        self.target.channelRead(context: context, data: data)
    }
}
