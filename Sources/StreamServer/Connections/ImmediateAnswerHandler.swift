import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore

/// Puts ``ImmediateStreamResponder`` in front of the application on one connection, on its bytes:
/// it sits right after ``ConnectionDrainHandler``, ahead of the HTTP/1.1 decoder, so an answer it
/// gives costs no decoding, no HTTP-types conversion and no pass through the handlers behind it.
///
/// Each request head is read with ``RawRequestHead``. A plain head that arrives while the
/// application owes no answer on this connection (HTTP/1.1 answers go out in request order) and
/// the channel is writable is offered to the responder; its answer is written here, with the
/// headers the application's middleware would add (`Date`, `Server`, `X-Request-ID`), its request
/// metrics and log line. A plain head it does not answer goes to the decoder as it came, and the
/// next head is read here again. Anything else gives the decoder the rest of the connection.
///
/// The decoder and Hummingbird's connection-state handler never see the requests answered here, so
/// this handler keeps the connection's timeouts itself: the idle timeout (`HTTP_IDLE_TIMEOUT`, for
/// every request, wherever answered), the header timeout for a head it holds after an answer
/// (``ConnectionDrainHandler`` times the others), and it holds graceful shutdown's quiesce and the
/// client's half-close until its own answers are written.
final class ImmediateAnswerHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = IOData
    typealias OutboundOut = IOData

    let responder: ImmediateStreamResponder
    let serverName: String
    let logger: Logger
    let idleTimeout: TimeAmount?
    let headerTimeout: TimeAmount

    /// The start of a head that is not complete yet, and since when it is held.
    private var partial: (bytes: ByteBuffer, since: NIODeadline)?
    /// Set once the decoder reads the rest of the connection.
    private var decoderReadsAll = false
    /// Set after answering a request that asked to close: nothing more is read.
    private var closing = false
    /// Whether the application owes no answer (as ``RequestHeadGuard`` reports it).
    private var applicationIdle = true
    private var answersBeingWritten = 0
    private var lastActivity = NIODeadline.now()
    private var timer: Scheduled<Void>?
    private var quiescing = false
    /// Inbound events (quiesce, half-close) held until this handler's answers are written.
    private var heldEvents: [Any] = []
    private var date = (second: Int64.min, value: "")

    init(
        responder: ImmediateStreamResponder,
        serverName: String,
        idleTimeout: TimeAmount?,
        headerTimeout: TimeAmount,
        logger: Logger
    ) {
        self.responder = responder
        self.serverName = serverName
        self.idleTimeout = idleTimeout
        self.headerTimeout = headerTimeout
        self.logger = logger
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { self.armTimer(context) }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.timer?.cancel()
        self.timer = nil
    }

    func channelActive(context: ChannelHandlerContext) {
        self.lastActivity = .now()
        self.armTimer(context)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.timer?.cancel()
        self.timer = nil
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let now = NIODeadline.now()
        self.lastActivity = now
        if self.closing { return }
        guard !self.decoderReadsAll else {
            context.fireChannelRead(data)
            return
        }
        var bytes = self.unwrapInboundIn(data)
        var since = now
        if let (heldBytes, heldSince) = self.partial {
            var held = heldBytes
            held.writeBuffer(&bytes)
            (bytes, since) = (held, heldSince)
            self.partial = nil
        }
        self.readHeads(&bytes, since: since, context: context)
    }

    private func readHeads(_ bytes: inout ByteBuffer, since: NIODeadline, context: ChannelHandlerContext) {
        while bytes.readableBytes > 0, !self.closing {
            switch bytes.withUnsafeReadableBytes({ RawRequestHead.read($0) }) {
            case .incomplete:
                self.partial = (bytes, since)
                // Its header deadline may come before the check the timer waits for.
                self.timer?.cancel()
                self.timer = nil
                self.armTimer(context)
                return
            case .other:
                self.decoderReadsAll = true
                context.fireChannelRead(self.wrapInboundOut(bytes))
                return
            case .plain(let request, let length, let asksToClose):
                let started = DispatchTime.now().uptimeNanoseconds
                if self.applicationIdle, !self.quiescing, context.channel.isWritable,
                    let target = self.responder.target(of: request),
                    let answer = self.responder.answer(request, target: target)
                {
                    bytes.moveReaderIndex(forwardBy: length)
                    self.closing = asksToClose
                    self.write(answer, for: request, started: started, context: context)
                } else {
                    // The decoder reads exactly this head as one request without a body.
                    self.applicationIdle = false
                    context.fireChannelRead(self.wrapInboundOut(bytes.readSlice(length: length)!))
                }
            }
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        let held: Bool
        switch event {
        case is ChannelShouldQuiesceEvent:
            self.quiescing = true
            held = true
        case let event as ChannelEvent where event == .inputClosed:
            // What the client sent last goes to the decoder, which reports a head cut short.
            if let (bytes, _) = self.partial, !self.closing {
                self.partial = nil
                self.decoderReadsAll = true
                context.fireChannelRead(self.wrapInboundOut(bytes))
            }
            held = true
        default:
            held = false
        }
        if held, self.answersBeingWritten > 0 {
            self.heldEvents.append(event)
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    func triggerUserOutboundEvent(context: ChannelHandlerContext, event: Any, promise: EventLoopPromise<Void>?) {
        if let awaiting = event as? AwaitingRequestHead {
            self.applicationIdle = awaiting == .yes
            self.lastActivity = .now()
        }
        context.triggerUserOutboundEvent(event, promise: promise)
    }

    private func write(
        _ answer: ImmediateStreamResponder.Answer,
        for request: HTTPRequest,
        started: UInt64,
        context: ChannelHandlerContext
    ) {
        // The head is read: ConnectionDrainHandler stops its header clock, and starts it again
        // with the next head's first bytes.
        context.triggerUserOutboundEvent(AwaitingRequestHead.yes, promise: nil)

        let requestID = RequestID().description
        var headers = answer.headers
        headers[.requestID] = requestID
        headers[.date] = self.currentDate()
        headers[.server] = self.serverName
        if answer.body == nil, headers[.contentLength] == nil, answer.status != .notModified {
            // As Hummingbird frames an empty body (a redirect): not as chunked.
            headers[.contentLength] = "0"
        }
        let head = ResponseHeadBytes.make(answer.status, headers, allocator: context.channel.allocator)
        let written = context.eventLoop.makePromise(of: Void.self)
        self.answersBeingWritten += 1
        switch answer.body {
        case .some((_, .bytes(let bytes))):
            context.write(self.wrapOutboundOut(.byteBuffer(head)), promise: nil)
            context.writeAndFlush(self.wrapOutboundOut(.byteBuffer(bytes)), promise: written)
            written.futureResult.assumeIsolated().whenComplete { _ in self.answerWritten(context) }
        case .some((let range, .file(let handle))):
            // sendfile from the page cache, as nginx does; the handle is closed once written.
            let region = FileRegion(
                fileHandle: handle,
                readerIndex: Int(range.lowerBound),
                endIndex: Int(range.upperBound) + 1
            )
            context.write(self.wrapOutboundOut(.byteBuffer(head)), promise: nil)
            context.writeAndFlush(self.wrapOutboundOut(.fileRegion(region)), promise: written)
            written.futureResult.assumeIsolated().whenComplete { _ in
                try? handle.close()
                self.answerWritten(context)
            }
        case .none:
            context.writeAndFlush(self.wrapOutboundOut(.byteBuffer(head)), promise: written)
            written.futureResult.assumeIsolated().whenComplete { _ in self.answerWritten(context) }
        }

        RequestMetrics.record(
            route: answer.route,
            method: request.method,
            status: answer.status,
            nanoseconds: DispatchTime.now().uptimeNanoseconds - started
        )
        if self.logger.logLevel <= .info {
            self.logger.info(
                "request",
                metadata: [
                    "hb.request.id": "\(requestID)",
                    "http.method": "\(request.method.rawValue)",
                    "http.path": "\(request.path ?? "")",
                    "http.status": "\(answer.status.code)",
                ]
            )
        }
    }

    private func answerWritten(_ context: ChannelHandlerContext) {
        self.answersBeingWritten -= 1
        self.lastActivity = .now()
        guard self.answersBeingWritten == 0 else { return }
        if self.closing {
            // What the application's connection loop does after a request asking to close (and
            // what RFC 9112 §9.6 asks): close once the answer is written, not before.
            context.close(promise: nil)
            return
        }
        let events = self.heldEvents
        self.heldEvents = []
        for event in events { context.fireUserInboundEventTriggered(event) }
    }

    /// `Date` as IMF-fixdate, formatted once per second.
    private func currentDate() -> String {
        let second = Int64(Date().timeIntervalSince1970.rounded(.down))
        if second != self.date.second { self.date = (second, HTTPDate(secondsSince1970: second).imfFixdate) }
        return self.date.value
    }
}

extension ImmediateAnswerHandler {
    /// What the connection's timer does when it fires.
    enum TimerVerdict: Equatable {
        case close
        case checkAt(NIODeadline)
        case none
    }

    /// The idle and header timeouts, as one decision: a connection busy with an answer is checked
    /// again later; a held head that did not complete within the header timeout, or a connection
    /// with nothing in flight and no bytes for the idle timeout, is closed.
    func timerVerdict(now: NIODeadline) -> TimerVerdict {
        if self.answersBeingWritten > 0 || !self.applicationIdle {
            return .checkAt(now + min(self.idleTimeout ?? self.headerTimeout, self.headerTimeout))
        }
        let deadline: NIODeadline
        if let (_, since) = self.partial, !self.decoderReadsAll {
            deadline = since + self.headerTimeout
        } else if let idle = self.idleTimeout {
            deadline = self.lastActivity + idle
        } else {
            return .none
        }
        return now >= deadline ? .close : .checkAt(deadline)
    }

    fileprivate func armTimer(_ context: ChannelHandlerContext) {
        guard self.timer == nil else { return }
        switch self.timerVerdict(now: .now()) {
        case .close:
            context.close(promise: nil)
        case .checkAt(let deadline):
            self.timer = context.eventLoop.assumeIsolatedUnsafeUnchecked().scheduleTask(deadline: deadline) {
                self.timer = nil
                self.armTimer(context)
            }
        case .none:
            break
        }
    }
}

/// A response's status line and header block, as HTTP/1.1 bytes.
enum ResponseHeadBytes {
    static func make(
        _ status: HTTPResponse.Status,
        _ fields: HTTPFields,
        allocator: ByteBufferAllocator
    )
        -> ByteBuffer
    {
        var buffer = allocator.buffer(capacity: 512)
        buffer.writeStaticString("HTTP/1.1 ")
        buffer.writeString(String(status.code))
        buffer.writeStaticString(" ")
        buffer.writeString(status.reasonPhrase)
        buffer.writeStaticString("\r\n")
        for field in fields {
            buffer.writeString(field.name.rawName)
            buffer.writeStaticString(": ")
            buffer.writeString(field.value)
            buffer.writeStaticString("\r\n")
        }
        buffer.writeStaticString("\r\n")
        return buffer
    }
}
