import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1

/// Hummingbird's HTTP/1.1 channel with two guards around it, so no client can hold a descriptor
/// for ever or get a request past RFC 9112's framing rules:
///
/// - ``ConnectionDrainHandler`` (first in the pipeline, on raw bytes): once the server has
///   answered and half-closed (an early 401/404/413/400 with `Connection: close`, body unread), it
///   reads and discards what the client still sends, up to a bound, and closes fully on the
///   client's close, the bound or a deadline; and it closes a connection whose request head,
///   once started, is not complete within `HTTP_HEADER_TIMEOUT`.
/// - ``RequestHeadGuard`` (right after the HTTP decoder): one `Host` field, an absolute-form
///   target naming that host, and framing errors before a request is handed on are answered with
///   a JSON 400 and the connection closed.
///
/// ``ImmediateAnswerHandler`` (right after the drain handler, on raw bytes) answers the range,
/// segment and redirect requests it can before the decoder; since Hummingbird's connection-state
/// handler does not see those, it keeps `HTTP_IDLE_TIMEOUT` for the connection (Hummingbird's own
/// idle timeout is off).
struct GuardedHTTP1Channel: ServerChildChannel {
    typealias Value = HTTP1Channel.Value

    let base: HTTP1Channel
    let timeouts: AppConfiguration.ConnectionTimeouts
    let immediate: ImmediateStreamResponder
    let serverName: String

    init(
        responder: @escaping HTTPChannelHandler.Responder,
        timeouts: AppConfiguration.ConnectionTimeouts,
        immediate: ImmediateStreamResponder,
        serverName: String
    ) {
        self.base = HTTP1Channel(responder: responder, configuration: .init(idleTimeout: nil))
        self.timeouts = timeouts
        self.immediate = immediate
        self.serverName = serverName
    }

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        let timeouts = self.timeouts
        return channel.eventLoop.makeCompletedFuture {
            try channel.pipeline.syncOperations.addHandler(
                ConnectionDrainHandler(headerTimeout: TimeAmount(timeouts.header)),
                position: .first
            )
        }.flatMap {
            self.base.setup(channel: channel, logger: logger)
        }.flatMapThrowing { value in
            let decoder = try channel.pipeline.syncOperations.handler(
                type: ByteToMessageHandler<HTTPRequestDecoder>.self
            )
            try channel.pipeline.syncOperations.addHandler(RequestHeadGuard(), position: .after(decoder))
            let drain = try channel.pipeline.syncOperations.handler(type: ConnectionDrainHandler.self)
            try channel.pipeline.syncOperations.addHandler(
                ImmediateAnswerHandler(
                    responder: self.immediate,
                    serverName: self.serverName,
                    idleTimeout: TimeAmount(timeouts.idle),
                    headerTimeout: TimeAmount(timeouts.header),
                    logger: logger
                ),
                position: .after(drain)
            )
            return value
        }
    }

    func handle(value: Value, logger: Logger) async {
        await self.base.handle(value: value, logger: logger)
    }
}

extension HTTPServerBuilder {
    /// HTTP/1.1 with ``GuardedHTTP1Channel``'s guards, the configured timeouts and, given one,
    /// the stream fast path.
    static func guardedHTTP1(
        timeouts: AppConfiguration.ConnectionTimeouts,
        immediate: ImmediateStreamResponder,
        serverName: String
    ) -> HTTPServerBuilder {
        HTTPServerBuilder { responder in
            GuardedHTTP1Channel(responder: responder, timeouts: timeouts, immediate: immediate, serverName: serverName)
        }
    }
}

extension TimeAmount {
    init(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        self = .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}

/// Told by ``RequestHeadGuard`` to ``ConnectionDrainHandler`` (an outbound user event, which
/// travels toward the socket): whether the connection now waits for the next request's head.
enum AwaitingRequestHead: Sendable {
    case yes
    case no
}
