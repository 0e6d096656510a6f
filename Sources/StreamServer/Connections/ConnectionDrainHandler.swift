import NIOCore

/// The first handler of a connection (raw bytes): bounds how long a client may take to send a
/// request head once its first byte arrived (a connection with no bytes at all is the idle
/// timeout's: browsers open connections ahead of use), and makes sure a connection the server has
/// finished with is closed.
///
/// Hummingbird answers an early rejection of a `Connection: close` request by half-closing its
/// side and stops reading: the client's close is then never seen and the descriptor stays open
/// while the server runs. Here the half-close turns into a drain: what the client still sends is
/// read and dropped, and the connection closes fully on the client's close, after
/// ``drainLimitBytes`` or after ``drainTimeout``, whichever comes first.
final class ConnectionDrainHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    /// The most a finished connection is drained of before it is closed regardless.
    static let drainLimitBytes = 1024 * 1024
    /// The longest a finished connection is drained.
    static let drainTimeout = TimeAmount.seconds(5)

    let headerTimeout: TimeAmount
    private var awaitingHead = true
    private var headerTimer: Scheduled<Void>?
    private var draining = false
    private var drained = 0
    private var inputClosed = false
    private var drainTimer: Scheduled<Void>?

    init(headerTimeout: TimeAmount) {
        self.headerTimeout = headerTimeout
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.headerTimer?.cancel()
        self.drainTimer?.cancel()
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.headerTimer?.cancel()
        self.drainTimer?.cancel()
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if self.draining {
            self.drained += self.unwrapInboundIn(data).readableBytes
            if self.drained > Self.drainLimitBytes { context.close(mode: .all, promise: nil) }
            return
        }
        // The first bytes of a request start its header clock (an idle keep-alive connection is
        // the idle timeout's business).
        if self.awaitingHead, self.headerTimer == nil { self.armHeaderTimer(context) }
        context.fireChannelRead(data)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        if self.draining {
            // Hummingbird no longer asks for reads: ask ourselves, to see the client's close.
            context.read()
            return
        }
        context.fireChannelReadComplete()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? ChannelEvent, event == .inputClosed {
            self.inputClosed = true
            if self.draining {
                context.close(mode: .all, promise: nil)
                return
            }
        }
        context.fireUserInboundEventTriggered(event)
    }

    func triggerUserOutboundEvent(context: ChannelHandlerContext, event: Any, promise: EventLoopPromise<Void>?) {
        guard let awaiting = event as? AwaitingRequestHead else {
            context.triggerUserOutboundEvent(event, promise: promise)
            return
        }
        switch awaiting {
        case .yes:
            // Also ends the clock of a head answered before the decoder (ImmediateAnswerHandler).
            self.awaitingHead = true
            self.headerTimer?.cancel()
            self.headerTimer = nil
        case .no:
            self.awaitingHead = false
            self.headerTimer?.cancel()
            self.headerTimer = nil
        }
        promise?.succeed(())
    }

    func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
        guard mode == .output, !self.draining else {
            context.close(mode: mode, promise: promise)
            return
        }
        // The response is written (the half-close follows it); the client's FIN is what remains.
        context.close(mode: .output, promise: promise)
        guard !self.inputClosed else {
            context.close(mode: .all, promise: nil)
            return
        }
        self.draining = true
        self.headerTimer?.cancel()
        self.drainTimer = context.eventLoop.assumeIsolatedUnsafeUnchecked().scheduleTask(in: Self.drainTimeout) {
            context.close(mode: .all, promise: nil)
        }
        context.read()
    }

    private func armHeaderTimer(_ context: ChannelHandlerContext) {
        self.headerTimer?.cancel()
        self.headerTimer = context.eventLoop.assumeIsolatedUnsafeUnchecked().scheduleTask(in: self.headerTimeout) {
            [weak self] in
            guard let self else { return }
            self.headerTimer = nil
            guard self.awaitingHead else { return }
            context.close(mode: .all, promise: nil)
        }
    }
}
