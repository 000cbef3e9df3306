import NIOCore
import NIOHTTP1
import WharfCore
import WharfUpstream

/// Sits in each client connection's pipeline, right after HTTP parsing (see ``WharfHTTP1Channel``): `POST`s to the relayed
/// `/v1` endpoints are answered here by a ``RelayExchange`` on the connection's event loop; every other request
/// passes on to Hummingbird's router unchanged.
///
/// Requests on one connection are answered in order: while one is being answered (by either side), the parts of a
/// pipelined next request wait here, and reading from the socket pauses until they are dispatched.
final class RelayFrontHandler: ChannelDuplexHandler, RemovableChannelHandler, RelayRequestSink, EndOfTurnFlushable {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    /// Who answers the request in progress.
    private enum Responder {
        case none
        case hummingbird
        case relay(RelayExchange)
    }

    private let engine: RelayEngine
    private var context: ChannelHandlerContext?
    /// Where relayed answers are written as bytes (the ``RelayWireGate``'s context).
    private var wire: ChannelHandlerContext?
    /// The answer being written is chunked.
    private var chunked = false
    /// Hummingbird is answering a HEAD request (passed to it as GET): the body of its answer is dropped.
    private var answeringHEAD = false
    private var pool: UpstreamLoopPool?
    /// Receives the parts of the request being read.
    private var reader = Responder.none
    /// Is answering; a next request waits until it is done.
    private var answering = Responder.none
    private var waiting = CircularBuffer<RelayRequestPart>()
    /// The HTTP version of the request being answered here.
    private var version = HTTPVersion.http1_1
    private var readHeld = false
    private var draining = false
    /// Parts went to Hummingbird since the last read-complete event.
    private var passedSinceReadComplete = false
    private var closeAfterAnswer = false
    /// The connection closes once the last answer is on the wire; nothing more is dispatched.
    private var closing = false
    /// The peer's address, read once per connection.
    private var peer: String??
    /// Carried from one relayed request of the connection to the next.
    private var memo = RelayEngine.ConnectionMemo()
    /// The connection's time limits (idle, head, body, stall) and the check that enforces them.
    private var deadlines: ClientDeadlines
    private var deadlineCheck: Scheduled<Void>?
    /// Requests refused in a row (no key, bad key...); a connection that keeps sending them is closed.
    private var refusedInARow = 0
    /// Refused requests in a row after which the connection closes.
    static let maxRefusedInARow = 32

    init(engine: RelayEngine) {
        self.engine = engine
        deadlines = ClientDeadlines(limits: engine.clientLimits, openedAt: engine.clock.monotonicMillis())
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        wire = try? context.pipeline.syncOperations.context(handlerType: RelayWireGate.self)
        pool = engine.pool.pool(for: context.eventLoop)
        armDeadlineCheck()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
        wire = nil
        deadlineCheck?.cancel()
        deadlineCheck = nil
    }

    // MARK: - Time limits

    private var now: Int64 { engine.clock.monotonicMillis() }

    /// Schedules the check of the time limits, unless one is pending (it re-arms itself for the time then left).
    private func armDeadlineCheck() {
        guard deadlineCheck == nil, let context else { return }
        guard let next = deadlines.check(at: now).nextIn else { return }
        let handler = NIOLoopBound(self, eventLoop: context.eventLoop)
        deadlineCheck = context.eventLoop.scheduleTask(in: .milliseconds(max(1, next))) {
            handler.value.deadlineCheckFired()
        }
    }

    private func deadlineCheckFired() {
        deadlineCheck = nil
        guard let context else { return }
        if deadlines.check(at: now).expired != nil {
            // Idle, a head or body too slow, or a client that stopped reading: the connection is closed.
            context.close(promise: nil)
            return
        }
        armDeadlineCheck()
    }

    /// Bytes arrived from the client (reported by the fast path, before any parsing).
    func bytesArrived() {
        deadlines.bytesArrived(at: now)
        armDeadlineCheck()
    }

    // MARK: - Inbound

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        receive(.decoded(unwrapInboundIn(data)), context: context)
    }

    /// The connection takes up no more requests: its last answer is written, or the client is gone.
    var isClosing: Bool { closing }

    /// A request part read by ``RelayFastPath`` instead of NIO's decoder.
    func deliver(_ part: RelayRequestPart) {
        guard let context else { return }
        receive(part, context: context)
    }

    private func receive(_ part: RelayRequestPart, context: ChannelHandlerContext) {
        // After the last answer of a connection that closes, nothing more is taken up.
        guard !closing else { return }
        if waiting.isEmpty {
            dispatch(part, context: context)
        } else {
            waiting.append(part)
        }
    }

    /// Hands over what waited: the rest of the current request at once, a next request once the answer is done.
    private func dispatchWaiting(context: ChannelHandlerContext) {
        // An answer can end inside a dispatch (an error answered at once): the outer loop then carries on, so the
        // stack does not grow with the number of pipelined requests.
        guard !draining else { return }
        draining = true
        defer { draining = false }
        while let part = waiting.first {
            if part.isHead, !answeringNone { return }
            waiting.removeFirst()
            dispatch(part, context: context)
        }
    }

    private var answeringNone: Bool {
        if case .none = answering { return true }
        return false
    }

    private func dispatch(_ part: RelayRequestPart, context: ChannelHandlerContext) {
        if part.isHead, !answeringNone {
            waiting.append(part)
            return
        }
        switch part {
        case .relayHead(let head):
            startRelay(head, context: context)
        case .decoded(let decoded):
            dispatch(decoded, context: context)
        }
    }

    private func startRelay(_ head: RelayRequestHead, context: ChannelHandlerContext) {
        deadlines.headTaken(at: now)
        armDeadlineCheck()
        let pool = self.pool ?? engine.pool.pool(for: context.eventLoop)
        version = head.version
        closeAfterAnswer = head.closeAfterAnswer
        let exchange = RelayExchange(engine: engine, front: self, pool: pool, endpoint: head.endpoint)
        reader = .relay(exchange)
        answering = .relay(exchange)
        if peer == nil { peer = .some(context.channel.remoteAddress?.ipAddress) }
        // A copy: the exchange may answer at once and the next request start before this call returns.
        var memo = self.memo
        exchange.start(head, peer: peer ?? nil, memo: &memo)
        self.memo = memo
    }

    private func dispatch(_ part: HTTPServerRequestPart, context: ChannelHandlerContext) {
        switch part {
        case .head(let head):
            if head.method == .POST, let endpoint = RelayEngine.Endpoint(requestPath: head.uri) {
                startRelay(RelayRequestHead(head, endpoint: endpoint), context: context)
            } else {
                deadlines.headTaken(at: now)
                armDeadlineCheck()
                // Hummingbird closes the connection itself when its answer asks for it.
                closeAfterAnswer = false
                reader = .hummingbird
                answering = .hummingbird
                // The answer to a HEAD goes out without its body. (NIO's encoder is not paired with the decoder
                // here, see WharfHTTP1Channel, so it does not know which answers are to a HEAD.) HEAD is not turned
                // into GET: some GET pages act (one-time links), and link scanners send HEAD.
                answeringHEAD = head.method == .HEAD
                pass(part, context: context)
            }
        case .body(let buffer):
            switch reader {
            case .relay(let exchange): exchange.receive(buffer)
            case .hummingbird: pass(part, context: context)
            case .none: break
            }
        case .end:
            deadlines.bodyEnded()
            let current = reader
            reader = .none
            switch current {
            case .relay(let exchange): exchange.requestEnded()
            case .hummingbird: pass(part, context: context)
            case .none: break
            }
        }
    }

    private func pass(_ part: HTTPServerRequestPart, context: ChannelHandlerContext) {
        passedSinceReadComplete = true
        context.fireChannelRead(wrapInboundOut(part))
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        // Only Hummingbird's handlers follow, and they have nothing to deliver unless parts went to them: a read
        // cycle of relayed requests ends here (the channel asks for the next read by itself).
        guard passedSinceReadComplete else { return }
        passedSinceReadComplete = false
        context.fireChannelReadComplete()
    }

    /// The answer in progress is complete: dispatch what waited, and resume reading.
    private func answerDone() {
        answering = .none
        guard let context, !closing else { return }
        dispatchWaiting(context: context)
        if answeringNone && waiting.isEmpty {
            deadlines.becameIdle(at: now)
            armDeadlineCheck()
        }
        if passedSinceReadComplete {
            // Parts handed to Hummingbird outside a read cycle: its channel delivers them on read-complete.
            passedSinceReadComplete = false
            context.fireChannelReadComplete()
        }
        if readHeld && waiting.isEmpty && context.channel.isWritable {
            readHeld = false
            context.read()
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        clientGone()
        context.fireChannelInactive()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let channelEvent = event as? ChannelEvent, channelEvent == .inputClosed, case .relay = answering {
            // The client closed its side while its request is being answered: it is gone.
            clientGone()
            context.close(promise: nil)
            return
        }
        if event is ChannelShouldQuiesceEvent, case .relay = answering {
            // Shutting down: Hummingbird closes idle connections; this one closes once its answer is sent.
            closeAfterAnswer = true
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // After the connection's last answer, what the client sent next does not matter.
        if closing { return }
        if error is HTTPParserError {
            switch (reader, answering) {
            case (.none, .relay):
                // Bytes after a complete relayed request did not parse: answer it, then close.
                closeAfterAnswer = true
                return
            case (.relay(let exchange), _):
                // The relayed request itself is malformed; Hummingbird answers 400 and closes.
                exchange.clientGone()
                reader = .none
                answering = .none
            default:
                break
            }
        }
        context.fireErrorCaught(error)
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        let writable = context.channel.isWritable
        deadlines.writable(writable, at: now)
        armDeadlineCheck()
        if case .relay(let exchange) = answering {
            exchange.clientWritabilityChanged(writable: writable)
        }
        // Reading resumes once the client takes answers again (see read(context:)).
        if writable && readHeld && waiting.isEmpty {
            readHeld = false
            context.read()
        }
        context.fireChannelWritabilityChanged()
    }

    private func clientGone() {
        // Nothing read after this is taken up, even parts the fast path still holds.
        closing = true
        if case .relay(let exchange) = answering { exchange.clientGone() }
        if case .relay(let exchange) = reader { exchange.clientGone() }
        answering = .none
        reader = .none
        waiting.removeAll()
    }

    // MARK: - Outbound

    /// Reading pauses while a request waits for its turn, and while the client does not take its answers (so a
    /// client that pipelines requests and never reads cannot make the server queue answers without bound).
    func read(context: ChannelHandlerContext) {
        if waiting.isEmpty && context.channel.isWritable {
            context.read()
        } else {
            readHeld = true
        }
    }

    func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
        // A relayed answer may be written and waiting for the end of the turn to be flushed (flushAtEndOfTurn), and
        // Hummingbird, which never saw the relayed request, may close the connection as idle (at shutdown): send the
        // answer first.
        wire?.flush()
        context.close(mode: mode, promise: promise)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let part = unwrapOutboundIn(data)
        if answeringHEAD, case .hummingbird = answering {
            switch part {
            case .head:
                // Framing fields stay as a GET answer would have them (RFC 9110, section 9.3.2).
                context.write(data, promise: promise)
            case .body:
                promise?.succeed()
            case .end:
                // Not passed on: for a chunked head the encoder would write a last chunk.
                answeringHEAD = false
                context.flush()
                promise?.succeed()
                let handler = NIOLoopBound(self, eventLoop: context.eventLoop)
                context.eventLoop.execute { handler.value.answerDone() }
            }
            return
        }
        context.write(data, promise: promise)
        if case .end = part, case .hummingbird = answering {
            // Leave Hummingbird's write before dispatching a waiting request.
            let handler = NIOLoopBound(self, eventLoop: context.eventLoop)
            context.eventLoop.execute { handler.value.answerDone() }
        }
    }

    // MARK: - Writing for the exchange

    /// Whether the client's socket takes more bytes without buffering.
    var isWritable: Bool { context?.channel.isWritable ?? false }

    /// Writes an answer's head as bytes, past NIO's HTTP encoder (see ``RelayWireGate``): a JSON answer with its
    /// length, or (without `contentLength`) a stream, chunked for HTTP/1.1 and ended by the close for HTTP/1.0.
    func writeHead(status: Int, contentType: String, contentLength: Int?, flush: Bool) {
        guard let wire else { return }
        wire.write(NIOAny(head(status: status, contentType: contentType, contentLength: contentLength)), promise: nil)
        if flush { flushAtEndOfTurn(wire) }
    }

    /// Writes a whole answer with its length, and ends it. A small body goes out in the head's buffer: one write
    /// instead of three.
    func writeAnswer(
        status: Int, contentType: String, body: ByteBuffer, fields: [(name: String, value: String)] = []
    ) {
        guard wire != nil else { return }
        let copied = body.readableBytes <= Self.copiedBodyLimit
        var bytes = head(
            status: status, contentType: contentType, contentLength: body.readableBytes,
            reserving: copied ? body.readableBytes : 0, fields: fields)
        if copied {
            bytes.writeImmutableBuffer(body)
            end(with: bytes)
        } else {
            wire?.write(NIOAny(bytes), promise: nil)
            end(with: body)
        }
    }

    /// Tells a client that sent `Expect: 100-continue` to send its body.
    func writeContinue() {
        guard let wire else { return }
        wire.writeAndFlush(NIOAny(ByteBuffer(staticString: "HTTP/1.1 100 Continue\r\n\r\n")), promise: nil)
    }

    /// Sends what was written to the client.
    func flushNow() { wire?.flush() }

    /// Flushes at the end of the event loop's turn, with the other connections written to in it (see
    /// ``UpstreamLoopPool/flushAtEndOfTurn(_:)``): answers go out once every ready read has been handled.
    private func flushAtEndOfTurn(_ wire: ChannelHandlerContext) {
        if let pool { pool.flushAtEndOfTurn(self) } else { wire.flush() }
    }

    /// Bodies up to this size are copied behind their head rather than written on their own.
    static let copiedBodyLimit = 16 * 1024

    /// The bytes of an answer's head; sets `chunked` for the body to follow.
    private func head(
        status: Int, contentType: String, contentLength: Int?, reserving: Int = 0,
        fields: [(name: String, value: String)] = []
    ) -> ByteBuffer {
        var head = ByteBuffer()
        head.reserveCapacity(160 + contentType.utf8.count + reserving)
        head.writeStaticString(version.minor == 0 ? "HTTP/1.0 " : "HTTP/1.1 ")
        head.writeString(String(status))
        head.writeStaticString(" ")
        head.writeString(HTTPResponseStatus(statusCode: status).reasonPhrase)
        head.writeStaticString("\r\ncontent-type: ")
        head.writeString(contentType)
        if let contentLength {
            head.writeStaticString("\r\ncontent-length: ")
            head.writeString(String(contentLength))
            chunked = false
        } else {
            head.writeStaticString("\r\ncache-control: no-cache")
            chunked = version.minor != 0
            if chunked { head.writeStaticString("\r\ntransfer-encoding: chunked") }
        }
        for field in fields {
            head.writeStaticString("\r\n")
            head.writeString(field.name)
            head.writeStaticString(": ")
            head.writeString(field.value)
        }
        if closeAfterAnswer { head.writeStaticString("\r\nconnection: close") }
        head.writeStaticString("\r\n\r\n")
        return head
    }

    /// Flushes after the work already queued on the event loop (such as the rest of a read from upstream).
    func flushSoon() {
        guard let wire else { return }
        flushAtEndOfTurn(wire)
    }

    /// Writes a piece of the answer's body (one chunk of a chunked answer; nothing for an empty piece).
    func writeBody(_ buffer: ByteBuffer, flush: Bool) {
        guard let wire, buffer.readableBytes > 0 else { return }
        if chunked {
            var size = ByteBuffer()
            size.writeString(String(buffer.readableBytes, radix: 16))
            size.writeStaticString("\r\n")
            wire.write(NIOAny(size), promise: nil)
            wire.write(NIOAny(buffer), promise: nil)
            wire.write(NIOAny(Self.crlf), promise: nil)
        } else {
            wire.write(NIOAny(buffer), promise: nil)
        }
        if flush { flushAtEndOfTurn(wire) }
    }

    /// The same, flushed at once with everything written before it (the head): a translated stream's first event,
    /// so it does not wait for the rest of the upstream's read to be translated.
    func writeBodyNow(_ buffer: ByteBuffer) {
        writeBody(buffer, flush: false)
        wire?.flush()
    }

    private static let crlf = ByteBuffer(string: "\r\n")
    private static let lastChunk = ByteBuffer(string: "0\r\n\r\n")

    /// Ends the answer in progress.
    func writeEnd() {
        let last = chunked ? Self.lastChunk : ByteBuffer()
        chunked = false
        end(with: last)
    }

    /// Ends a stream the upstream cut: `event` (an SSE error event) goes out as the last piece, then the connection
    /// closes without the last chunk, so no client takes the truncated answer for a whole one.
    func writeCut(_ event: ByteBuffer) {
        writeBody(event, flush: false)
        chunked = false
        closeAfterAnswer = true
        end(with: ByteBuffer())
    }

    /// Writes `last` (possibly nothing) as the end of the answer, flushes, and closes the connection if it was its
    /// last answer.
    private func end(with last: ByteBuffer) {
        guard let context, let wire else { return }
        guard closeAfterAnswer else {
            if last.readableBytes > 0 { wire.write(NIOAny(last), promise: nil) }
            flushAtEndOfTurn(wire)
            answerDone()
            return
        }
        // Close once the answer is written: closing at once would drop bytes the socket has not taken yet.
        closing = true
        answering = .none
        waiting.removeAll()
        let channel = context.channel
        let written = context.eventLoop.makePromise(of: Void.self)
        written.futureResult.whenComplete { _ in channel.close(promise: nil) }
        wire.writeAndFlush(NIOAny(last), promise: written)
    }

    /// The answer about to be written is the connection's last (a refused oversized body is not read to its end).
    func closeWhenAnswered() {
        closeAfterAnswer = true
    }

    /// A request was refused before any upstream was tried (no key, bad key, limits...): after
    /// ``maxRefusedInARow`` such requests in a row, the connection closes after this answer.
    func refused() {
        refusedInARow += 1
        if refusedInARow >= Self.maxRefusedInARow { closeAfterAnswer = true }
    }

    /// A request was admitted: the count of refusals starts again.
    func admitted() { refusedInARow = 0 }

    /// Answers with an error in the dialect of the request's endpoint (OpenAI's shape, or Anthropic's on
    /// `/v1/messages`), saying whether to retry, and ends the answer.
    func writeError(_ error: OpenAIError, dialect: Dialect = .openAIChat) {
        writeAnswer(
            status: Int(error.status.code), contentType: "application/json",
            body: ByteBuffer(string: error.body(in: dialect)), fields: error.retryFields)
    }
}

/// First in a client connection's pipeline, before NIO's HTTP encoder: relayed answers are written here as bytes
/// (see ``RelayFrontHandler/writeHead(status:contentType:contentLength:flush:)``). Everything else passes through.
final class RelayWireGate: ChannelOutboundHandler, RemovableChannelHandler {
    typealias OutboundIn = IOData
}

extension RelayRequestPart {
    /// Whether the part starts a request.
    fileprivate var isHead: Bool {
        switch self {
        case .relayHead, .decoded(.head): true
        case .decoded: false
        }
    }
}
