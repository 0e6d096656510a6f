import CoreMetrics
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import NIOHTTPTypes
import Synchronization

/// Puts ``ImmediateStreamResponder`` in front of the application on one connection: sits between
/// Hummingbird's `HTTPConnectionStateHandler` (which so sees every request and answer, and keeps
/// its idle timeout, keep-alive and graceful-shutdown rules) and the channel the application reads.
///
/// A request without a body, arriving while the application owes no answer on this connection
/// (HTTP/1.1 answers go out in request order), is offered to the responder when its end arrives;
/// if it answers, the answer is written here, with the headers the application's middleware
/// would add (`Date`, `Server`, `X-Request-ID`), its request metrics and log line. Everything else
/// is passed on untouched.
final class ImmediateAnswerHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    let responder: ImmediateStreamResponder
    let serverName: String
    let logger: Logger
    /// A request head, and what it asks for, held until its end shows it has no body.
    private var held: (request: HTTPRequest, target: ImmediateStreamResponder.Target)?
    /// Requests passed on whose answer has not been written to its end yet.
    private var owedByApplication = 0
    private var date = (second: Int64.min, value: "")

    init(responder: ImmediateStreamResponder, serverName: String, logger: Logger) {
        self.responder = responder
        self.serverName = serverName
        self.logger = logger
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch self.unwrapInboundIn(data) {
        case .head(let request):
            if self.owedByApplication == 0, context.channel.isWritable,
                let target = self.responder.target(of: request)
            {
                self.held = (request, target)
                return
            }
            self.owedByApplication += 1
        case .body:
            // A body: not for the fast path; the application gets the request as it came.
            self.passOnHeld(context)
        case .end:
            if let (request, target) = self.held {
                let started = DispatchTime.now().uptimeNanoseconds
                if let answer = self.responder.answer(request, target: target) {
                    self.held = nil
                    self.write(answer, for: request, started: started, context: context)
                    return
                }
            }
            // No answer here: the application gets the head it did not see yet, then the end.
            self.passOnHeld(context)
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = self.unwrapOutboundIn(data) { self.owedByApplication = max(0, self.owedByApplication - 1) }
        context.write(data, promise: promise)
    }

    private func passOnHeld(_ context: ChannelHandlerContext) {
        guard let (request, _) = self.held else { return }
        self.held = nil
        self.owedByApplication += 1
        context.fireChannelRead(self.wrapInboundOut(.head(request)))
    }

    private func write(
        _ answer: ImmediateStreamResponder.Answer,
        for request: HTTPRequest,
        started: UInt64,
        context: ChannelHandlerContext
    ) {
        let requestID = RequestID().description
        var headers = answer.headers
        headers[.requestID] = requestID
        headers[.date] = self.currentDate()
        headers[.server] = self.serverName
        if answer.body == nil, headers[.contentLength] == nil, answer.status != .notModified {
            // As Hummingbird frames an empty body (a redirect): not as chunked.
            headers[.contentLength] = "0"
        }
        context.write(
            self.wrapOutboundOut(.head(HTTPResponse(status: answer.status, headerFields: headers))),
            promise: nil
        )
        if let body = answer.body { context.write(self.wrapOutboundOut(.body(body)), promise: nil) }
        if Self.asksToClose(request) {
            // What the application's connection loop does after such a request (and what RFC 9112
            // §9.6 asks): close once the answer is written, not before.
            let written = context.eventLoop.makePromise(of: Void.self)
            context.writeAndFlush(self.wrapOutboundOut(.end(nil)), promise: written)
            written.futureResult.assumeIsolated().whenComplete { _ in context.close(promise: nil) }
        } else {
            context.writeAndFlush(self.wrapOutboundOut(.end(nil)), promise: nil)
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

    /// Whether the request's `Connection` field has the `close` option (case-insensitive).
    static func asksToClose(_ request: HTTPRequest) -> Bool {
        request.headerFields[values: .connection].contains { value in
            value.split(separator: ",").contains { $0.trimmingCharacters(in: .whitespaces).lowercased() == "close" }
        }
    }

    /// `Date` as IMF-fixdate, formatted once per second.
    private func currentDate() -> String {
        let second = Int64(Date().timeIntervalSince1970.rounded(.down))
        if second != self.date.second { self.date = (second, HTTPDate(secondsSince1970: second).imfFixdate) }
        return self.date.value
    }
}

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
