import NIOCore

/// Why an exchange with an upstream ended without a complete response.
public enum UpstreamConnectionError: Error, Equatable, Sendable {
    /// No connection could be made (refused, unreachable, TLS handshake, connect timeout, bad base URL).
    case connectFailed
    /// The connection closed or broke before the response ended.
    case closed
    /// No byte arrived for longer than the read timeout.
    case readTimeout
    /// The origin's connections were all in use, and none came free within the connect timeout.
    case poolFull
    /// The upstream sent something that is not an HTTP/1.1 response to the request (see ``UpstreamResponseParser``).
    case malformedResponse
}

/// Receives one upstream response, part by part, on the connection's event loop.
public protocol UpstreamResponseDelegate: AnyObject {
    /// The status line and headers arrived.
    func upstreamDidReceiveHead(_ head: UpstreamResponseHead)
    /// A piece of the body arrived (in order; as the network delivered it).
    func upstreamDidReceiveBody(_ buffer: ByteBuffer)
    /// The response ended; the connection is already back in its pool (or closed).
    func upstreamDidFinish()
    /// The response will not complete; the connection is already closed.
    func upstreamDidFail(_ error: UpstreamConnectionError)
}

/// One keep-alive HTTP/1.1 connection to an upstream, serving one request at a time. Lives on its channel's event
/// loop: every method must be called there, and the delegate is called there.
///
/// Requests go out as bytes prepared by ``UpstreamTarget/postHead(_:contentLength:)``; responses are read by
/// ``UpstreamResponseParser``, which keeps only the status and content type of a head. Neither side goes through
/// NIO's HTTP codec: the relay forwards bodies and needs nothing else from the head.
public final class UpstreamConnection: ChannelInboundHandler, RemovableChannelHandler, EndOfTurnFlushable {
    public typealias InboundIn = ByteBuffer
    public typealias OutboundOut = ByteBuffer

    let origin: UpstreamOrigin
    /// Strong: a connection may close (and report it) after the pool that made it was let go; the cycle with the
    /// pool's idle list ends when the connection closes.
    let pool: UpstreamLoopPool
    private var context: ChannelHandlerContext?
    private var delegate: UpstreamResponseDelegate?
    private var parser = UpstreamResponseParser()
    private var lastRead = NIODeadline.now()
    private var readTimeout = TimeAmount.seconds(120)
    /// The pending silence check. It is not cancelled when a response ends: the next exchange on the connection
    /// reuses it, and when it fires with no exchange in progress it simply lapses.
    private var timeoutCheck: Scheduled<Void>?
    /// When the pending check runs.
    private var checkDue = NIODeadline.now()
    /// Reading stopped for a slow client: silence then is not the upstream's.
    private var readingPaused = false
    /// How many requests this connection has carried.
    private var requestsSent = 0
    /// Whether the request in progress went out on a connection that had carried one before (the server may have
    /// closed it while it was idle, so a failure before any answer is not the upstream's fault).
    public private(set) var isReused = false
    /// Its pool has given its slot back (see ``UpstreamLoopPool/forget(_:)``): counted once only.
    var forgotten = false
    /// When it went back to the pool.
    var idleSince = NIODeadline.now()

    init(origin: UpstreamOrigin, pool: UpstreamLoopPool) {
        self.origin = origin
        self.pool = pool
    }

    /// Closing (or closed): not to be read from, sent on or pooled again.
    private var closing = false

    var isActive: Bool { !closing && (context?.channel.isActive ?? false) }

    /// Sends a request: `head` as prepared by ``UpstreamTarget/postHead(_:contentLength:)``, then `body`. The answer
    /// goes to `delegate`. `readTimeout` bounds every silence while waiting for bytes.
    public func send(head: ByteBuffer, body: ByteBuffer, delegate: UpstreamResponseDelegate, readTimeout: TimeAmount) {
        isReused = requestsSent > 0
        requestsSent += 1
        guard let context, isActive else {
            delegate.upstreamDidFail(.closed)
            return
        }
        self.delegate = delegate
        self.readTimeout = readTimeout
        if readingPaused { setReading(true) }
        parser.expectResponse()
        let now = NIODeadline.now()
        lastRead = now
        // A check left from an earlier exchange is reused, unless this exchange's timeout is due before it.
        if let pending = timeoutCheck, checkDue > now + readTimeout {
            pending.cancel()
            timeoutCheck = nil
        }
        if timeoutCheck == nil { armTimeout(context, after: readTimeout) }
        if body.readableBytes > Self.copiedBodyLimit {
            context.write(wrapOutboundOut(head), promise: nil)
            context.write(wrapOutboundOut(body), promise: nil)
        } else {
            // A small body goes out in the head's buffer: one write instead of two.
            var request = head
            request.writeImmutableBuffer(body)
            context.write(wrapOutboundOut(request), promise: nil)
        }
        // Flushed with the other requests written in this turn of the event loop (see
        // UpstreamLoopPool.flushAtEndOfTurn).
        pool.flushAtEndOfTurn(self)
    }

    /// Sends what was written (see ``UpstreamLoopPool/flushAtEndOfTurn(_:)``).
    public func flushNow() { context?.flush() }

    /// Request bodies up to this size are copied behind their head rather than written on their own.
    static let copiedBodyLimit = 16 * 1024

    /// Abandons the exchange in progress and closes the connection; the delegate hears nothing more.
    public func abort() {
        delegate = nil
        closing = true
        context?.close(promise: nil)
    }

    /// Stops or resumes reading from the upstream (back-pressure from a slow client).
    public func setReading(_ on: Bool) {
        readingPaused = !on
        try? context?.channel.syncOptions?.setOption(ChannelOptions.autoRead, value: on)
        if on {
            lastRead = .now()
            context?.read()
        }
    }

    /// Closes an idle connection.
    func close() {
        closing = true
        context?.close(promise: nil)
    }

    public func handlerAdded(context: ChannelHandlerContext) { self.context = context }

    public func handlerRemoved(context: ChannelHandlerContext) { self.context = nil }

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        lastRead = .now()
        var bytes = unwrapInboundIn(data)
        // One event at a time: the delegate may abort (closing the channel, which can report inactive at once)
        // or reuse connections while handling it, and the parser is not in the middle of anything then.
        while !closing {
            let event: UpstreamResponseParser.Event?
            do {
                event = try parser.next(&bytes)
            } catch {
                // Not a response this connection can go on from (or bytes nobody asked for): it is closed.
                fail(.malformedResponse)
                closeNow(context)
                return
            }
            switch event {
            case nil:
                return
            case .head(let head):
                delegate?.upstreamDidReceiveHead(head)
            case .body(let piece):
                delegate?.upstreamDidReceiveBody(piece)
            case .end:
                let finished = delegate
                delegate = nil
                // Bytes after the response were not asked for: the connection cannot be trusted with another request.
                if parser.keepAlive && bytes.readableBytes == 0 { pool.release(self) } else { closeNow(context) }
                finished?.upstreamDidFinish()
                return
            }
        }
    }

    /// Closes the connection; nothing more is read from it and it never goes back to the pool.
    private func closeNow(_ context: ChannelHandlerContext) {
        closing = true
        context.close(promise: nil)
    }

    public func channelInactive(context: ChannelHandlerContext) {
        timeoutCheck?.cancel()
        timeoutCheck = nil
        pool.forget(self)
        if parser.endsAtClose, let finished = delegate {
            // A body delimited by the connection's end is complete.
            delegate = nil
            finished.upstreamDidFinish()
        } else {
            fail(.closed)
        }
        context.fireChannelInactive()
    }

    public func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // Over TLS, a close without close_notify ends here first: a body delimited by the close is then incomplete.
        fail(.closed)
        closeNow(context)
    }

    private func fail(_ error: UpstreamConnectionError) {
        guard let delegate else { return }
        self.delegate = nil
        delegate.upstreamDidFail(error)
    }

    /// A silence check that re-arms itself for the time left, instead of a new timer per read or per request.
    private func armTimeout(_ context: ChannelHandlerContext, after delay: TimeAmount) {
        checkDue = .now() + delay
        timeoutCheck = context.eventLoop.scheduleTask(in: delay) { [weak self] in
            guard let self else { return }
            self.timeoutCheck = nil
            guard self.delegate != nil, let context = self.context else { return }
            let silent = NIODeadline.now() - self.lastRead
            if self.readingPaused {
                self.armTimeout(context, after: self.readTimeout)
            } else if silent >= self.readTimeout {
                self.fail(.readTimeout)
                self.closeNow(context)
            } else {
                self.armTimeout(context, after: self.readTimeout - silent)
            }
        }
    }
}
