import Foundation
import NIOCore
import NIOHTTP1
import VezaAPI

/// Right after the HTTP/1.1 decoder: refuses what RFC 9112 says a server must refuse before a
/// request reaches the router, with the JSON error shape, and closes the connection after it.
///
/// - §3.2: no `Host` (HTTP/1.1), more than one `Host`, or an absolute-form target whose authority
///   is not the `Host` → 400 `invalid_host`. An absolute-form target naming the `Host` is turned
///   into origin form, so it routes like any other.
/// - A framing error before a request was handed on (a `Transfer-Encoding` other than chunked, a
///   bad header block) → 400 `malformed_body`. A framing error inside a body is passed on: the
///   route reading the body fails, and `JSONErrorMiddleware` answers the same 400.
///
/// It also tells ``ConnectionDrainHandler`` when the connection waits for a request head.
final class RequestHeadGuard: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    private var heads = 0
    private var requestEnds = 0
    private var responseEnds = 0
    /// Set once a request was refused here: nothing more is read or handed on.
    private var refused = false

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !self.refused else { return }
        var part = self.unwrapInboundIn(data)
        switch part {
        case .head(var head):
            if let problem = Self.hostProblem(&head) {
                self.refuse(context, version: head.version, code: "invalid_host", message: problem)
                return
            }
            part = .head(head)
            self.heads += 1
            context.triggerUserOutboundEvent(AwaitingRequestHead.no, promise: nil)
        case .body:
            break
        case .end:
            self.requestEnds += 1
            self.reportWhetherAwaitingHead(context)
        }
        context.fireChannelRead(self.wrapInboundOut(part))
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard let parserError = error as? HTTPParserError, !self.refused else {
            context.fireErrorCaught(error)
            return
        }
        if self.heads == self.requestEnds {
            // Between requests: nobody downstream is reading a body to fail.
            self.refuse(
                context,
                version: .http1_1,
                code: "malformed_body",
                message: "the request is not framed correctly (\(parserError)): check Transfer-Encoding, "
                    + "Content-Length and the header block"
            )
            return
        }
        context.fireErrorCaught(error)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = self.unwrapOutboundIn(data) {
            self.responseEnds += 1
            context.write(data, promise: promise)
            self.reportWhetherAwaitingHead(context)
            return
        }
        context.write(data, promise: promise)
    }

    private func reportWhetherAwaitingHead(_ context: ChannelHandlerContext) {
        if self.requestEnds == self.heads, self.responseEnds == self.heads {
            context.triggerUserOutboundEvent(AwaitingRequestHead.yes, promise: nil)
        }
    }

    private func refuse(_ context: ChannelHandlerContext, version: HTTPVersion, code: String, message: String) {
        self.refused = true
        let body = (try? APIJSON.encoder().encode(APIErrorBody(code: code, message: message))) ?? Data()
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "application/json; charset=utf-8")
        headers.add(name: "Content-Length", value: String(body.count))
        headers.add(name: "Connection", value: "close")
        headers.add(name: "Cache-Control", value: "no-store")
        let head = HTTPResponseHead(version: version, status: .badRequest, headers: headers)
        context.write(self.wrapOutboundOut(.head(head)), promise: nil)
        context.write(self.wrapOutboundOut(.body(.byteBuffer(ByteBuffer(bytes: body)))), promise: nil)
        context.writeAndFlush(self.wrapOutboundOut(.end(nil)), promise: nil)
        // Half-close once the response is out: ConnectionDrainHandler then drains what the client
        // still sends and closes.
        context.close(mode: .output, promise: nil)
    }

    /// What is wrong with the request's `Host` (RFC 9112 §3.2), or nil; an absolute-form target that
    /// names the `Host` is rewritten to origin form.
    static func hostProblem(_ head: inout HTTPRequestHead) -> String? {
        let hosts = head.headers["Host"]
        if hosts.count > 1 { return "the request has more than one Host field" }
        if hosts.isEmpty, head.version.major > 1 || (head.version.major == 1 && head.version.minor >= 1) {
            return "an HTTP/1.1 request must have a Host field"
        }
        guard let scheme = head.uri.range(of: "://"), !head.uri.hasPrefix("/") else { return nil }
        let afterScheme = head.uri[scheme.upperBound...]
        let end = afterScheme.firstIndex(where: { $0 == "/" || $0 == "?" || $0 == "#" }) ?? afterScheme.endIndex
        let authority = afterScheme[..<end].lowercased()
        if let host = hosts.first, host.trimmingCharacters(in: .whitespaces).lowercased() != authority {
            return "the request target names another host than its Host field"
        }
        let rest = afterScheme[end...]
        head.uri = rest.hasPrefix("/") ? String(rest) : "/" + rest
        return nil
    }
}
