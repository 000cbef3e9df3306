import HTTPTypes
import NIOCore
import NIOHTTP1
import WharfCore
import WharfUpstream

/// One relayed request, from its head to the settled charge. Lives on the event loop of the client's connection,
/// which is also the loop of its upstream connection: every step is a callback on that loop, with no task, lock or
/// database query.
///
/// Failover: before the first byte reaches the client, a connect error, timeout, 401, 403, 408, 429 or 5xx moves the
/// request to the next channel (up to `max_attempts`); another 4xx is the client's error; a 1xx, 204, 205 or 3xx is
/// no answer to an API call and fails over like a malformed one. After the first byte, never. A keep-alive connection
/// that the upstream had closed while idle is retried once on a fresh connection.
///
/// Hanging up does not lower the price: once the request has gone upstream, a client that leaves only stops the
/// writing. The upstream's answer is still read (and dropped) for its usage, for at most `disconnect_drain_ms` and
/// `disconnect_drain_bytes`; past either bound the upstream is let go and the estimate is charged.
final class RelayExchange: UpstreamResponseDelegate {
    /// Where the exchange stands.
    enum Phase {
        /// Reading the client's body.
        case receiving
        /// The answer (an error) is already sent; the rest of the client's body is read and dropped.
        case discarding
        /// Waiting for a connection or for the head of an upstream response.
        case awaitingHead
        /// A 2xx non-streamed answer: its body is collected to read the usage.
        case buffering
        /// A 2xx stream: relayed chunk by chunk.
        case streaming
        /// A non-2xx answer: its body is read (to reduce it, or to keep the connection) before the next step.
        case collectingError(status: Int)
        /// Over.
        case done
    }

    /// Largest non-streamed upstream response accepted.
    static let maxResponseBytes = 256 * 1024 * 1024
    /// Largest upstream error body read.
    static let maxErrorBytes = 64 * 1024

    private let engine: RelayEngine
    /// Weak: the client's connection may be gone while a callback (a connect) is still on its way.
    private weak var front: RelayFrontHandler?
    private let pool: UpstreamLoopPool
    private let endpoint: RelayEngine.Endpoint
    private var phase = Phase.receiving
    private var caller: RelayEngine.Caller?
    private var requestBody = ByteBuffer()
    private var plan: RelayEngine.Plan?
    private var nextTarget = 0
    private var attempts = 0
    private var lastStatus: Int?
    private var target: UpstreamTarget?
    private var connection: UpstreamConnection?
    private var attemptStarted: Int64 = 0
    private var retriedStale = false
    private var answerHead: UpstreamResponseHead?
    private var answerBody = ByteBuffer()
    private var meter = SSEStreamMeter(stripUsageChunk: false)
    /// The current attempt's answer comes in another dialect: translated event by event.
    private var translator: StreamTranslator?
    /// The current attempt's answer is an Anthropic stream relayed as it is: metered here.
    private var dialectMeter: StreamMeter?
    /// The client's `anthropic-version` and `anthropic-beta`, for Anthropic channels.
    private var anthropicHeaders = RelayEngine.AnthropicHeaders()
    private var firstByte: Int64?
    private var clientBlocked = false
    private var requestComplete = false
    /// The client left after its request went upstream: the answer is read for its usage, not written.
    private var clientLeft = false
    /// Bytes read from upstream since the client left.
    private var drainedBytes = 0
    private var drainTimer: Scheduled<Void>?

    init(engine: RelayEngine, front: RelayFrontHandler, pool: UpstreamLoopPool, endpoint: RelayEngine.Endpoint) {
        self.engine = engine
        self.front = front
        self.pool = pool
        self.endpoint = endpoint
    }

    var isOver: Bool {
        if case .done = phase { return true }
        return false
    }

    // MARK: - The client's request

    /// The request head arrived: the key, its limits and the declared size are checked before the body is read.
    func start(_ head: RelayRequestHead, peer: String?, memo: inout RelayEngine.ConnectionMemo) {
        anthropicHeaders = RelayEngine.AnthropicHeaders(version: head.anthropicVersion, beta: head.anthropicBeta)
        do {
            caller = try engine.admit(head, peer: peer, memo: &memo)
            front?.admitted()
            if head.expectContinue { front?.writeContinue() }
        } catch {
            // A client waiting for 100 Continue may or may not send its body now: the connection ends after the answer.
            if head.expectContinue { front?.closeWhenAnswered() }
            refuse(error)
        }
    }

    /// A piece of the client's body.
    func receive(_ buffer: ByteBuffer) {
        guard case .receiving = phase else { return }
        guard requestBody.readableBytes + buffer.readableBytes <= engine.config.maxBodyBytes else {
            refuse(engine.tooLarge())
            return
        }
        Self.append(buffer, to: &requestBody)
    }

    /// The client's body is complete: plan, hold, and try the first channel.
    func requestEnded() {
        requestComplete = true
        if case .discarding = phase { phase = .done }
        guard case .receiving = phase, let caller else { return }
        if endpoint == .countTokens {
            countTokens(caller)
            return
        }
        let started = engine.clock.monotonicMillis()
        do {
            plan = try engine.plan(endpoint, caller: caller, body: requestBody, started: started)
        } catch {
            refuse(error)
            return
        }
        requestBody = ByteBuffer()
        if let plan {
            meter = SSEStreamMeter(stripUsageChunk: plan.stripUsage, maxEventBytes: engine.config.maxSSEEventBytes)
        }
        phase = .awaitingHead
        tryNextChannel()
    }

    /// Answers `count_tokens` here: nothing goes upstream, nothing is held or charged.
    private func countTokens(_ caller: RelayEngine.Caller) {
        do {
            let body = try engine.countTokens(caller: caller, body: requestBody)
            requestBody = ByteBuffer()
            phase = .done
            front?.writeAnswer(status: 200, contentType: "application/json", body: body)
        } catch {
            refuse(error)
        }
    }

    /// The client went away (closed, reset or half-closed its connection). Before the request went upstream it costs
    /// nothing; after, the upstream's answer is still read for its usage (see the type's notes).
    func clientGone() {
        front = nil
        switch phase {
        case .awaitingHead where connection == nil:
            // Still connecting: nothing reached an upstream.
            endWithoutCharge(status: "client_disconnected")
        case .awaitingHead, .buffering, .streaming, .collectingError:
            guard !clientLeft else { return }
            clientLeft = true
            if clientBlocked {
                clientBlocked = false
                connection?.setReading(true)
            }
            drainTimer = pool.eventLoop.scheduleTask(
                in: .milliseconds(engine.config.disconnectDrainMillis)
            ) { [weak self] in self?.drainRanOut() }
        case .receiving, .discarding, .done:
            phase = .done
        }
    }

    /// The client left and its answer did not finish within the drain bounds: let the upstream go and charge the
    /// estimate of what was produced.
    private func drainRanOut() {
        guard clientLeft, !isOver else { return }
        connection?.abort()
        connection = nil
        switch phase {
        case .streaming:
            finishStream(status: "client_disconnected")
        case .awaitingHead, .buffering:
            guard let plan else { return }
            // No (whole) answer: the prompt estimate plus any text already read.
            let usage = TokenUsage(
                promptTokens: plan.promptEstimate,
                completionTokens: TokenEstimator.outputTokens(textBytes: bufferedTextBytes()))
            settle(plan, usage: usage, status: "client_disconnected", firstByte: firstByte)
        default:
            endWithoutCharge(status: "client_disconnected")
        }
    }

    /// Ends a request whose client left, at no charge (an upstream error, or nothing left to try).
    private func endWithoutCharge(status: String) {
        drainTimer?.cancel()
        phase = .done
        guard let plan else { return }
        plan.reservation.release()
        engine.record(plan, channelID: target?.channel.id, usage: .zero, cost: .zero, firstByte: nil, status: status)
    }

    /// Charges `usage` at the plan's price, records it, and ends the exchange.
    private func settle(_ plan: RelayEngine.Plan, usage: TokenUsage, status: String, firstByte: Int64?) {
        drainTimer?.cancel()
        phase = .done
        let charged = plan.reservation.settle(cost: plan.price.cost(of: usage))
        engine.record(
            plan, channelID: target?.channel.id, usage: usage, cost: charged, firstByte: firstByte, status: status)
    }

    /// Counts the bytes of a piece read after the client left; true when the drain bound is passed (and the exchange
    /// is then over).
    private func drainBoundPassed(_ piece: Int) -> Bool {
        guard clientLeft else { return false }
        drainedBytes += piece
        guard drainedBytes > engine.config.disconnectDrainBytes else { return false }
        drainRanOut()
        return true
    }

    /// Text in the part of a non-streamed answer read so far.
    private func bufferedTextBytes() -> Int {
        answerBody.withUnsafeReadableBytes { raw in
            raw.withMemoryRebound(to: UInt8.self) { SSEStreamMeter.textBytes(inBody: $0) }
        }
    }

    /// The client's socket can take more (or no more) bytes: reading from upstream follows.
    func clientWritabilityChanged(writable: Bool) {
        guard case .streaming = phase else { return }
        if writable && clientBlocked {
            clientBlocked = false
            connection?.setReading(true)
        }
    }

    // MARK: - Upstream attempts

    private func tryNextChannel() {
        guard let plan else { return }
        guard !clientLeft else {
            endWithoutCharge(status: "client_disconnected")
            return
        }
        while nextTarget < plan.targets.count && attempts < engine.config.maxAttempts {
            let target = plan.targets[nextTarget]
            nextTarget += 1
            let now = engine.clock.monotonicMillis()
            guard engine.health.admit(target.channel.id, now: now) else { continue }
            attempts += 1
            self.target = target
            attemptStarted = now
            retriedStale = false
            guard let origin = target.origin else {
                engine.health.record(target.channel.id, success: false, latencyMillis: 0, now: now)
                continue
            }
            pool.acquire(origin) { [self] result in connected(result) }
            return
        }
        let error: UpstreamError =
            attempts == 0 ? .noneAvailable : .allFailed(attempts: attempts, lastStatus: lastStatus)
        fail(RelayEngine.clientError(for: error), status: "upstream_error")
    }

    private func connected(_ result: Result<UpstreamConnection, UpstreamConnectionError>) {
        guard case .awaitingHead = phase, let plan, let target else {
            if case .success(let connection) = result { connection.abort() }
            return
        }
        switch result {
        case .failure(.poolFull):
            // Every connection to the origin is busy: not the channel's failure (its breaker stays as it is).
            answerBody = ByteBuffer()
            tryNextChannel()
        case .failure:
            attemptFailed()
        case .success(let connection):
            self.connection = connection
            // The client's bytes go out as they came unless the model name or the usage option must change; a
            // channel of another dialect gets the request translated.
            let request = RelayEngine.upstreamRequest(
                plan, target: target, anthropic: anthropicHeaders,
                defaultMaxTokens: engine.config.defaultMaxOutputTokens)
            connection.send(
                head: target.postHead(
                    request.path, contentLength: request.body.readableBytes, extraFields: request.extraFields),
                body: request.body, delegate: self,
                readTimeout: .milliseconds(engine.config.upstreamReadTimeoutMillis))
        }
    }

    /// The current channel failed before answering: count it against the channel and try the next one.
    private func attemptFailed() {
        answerBody = ByteBuffer()
        guard let target else { return }
        let now = engine.clock.monotonicMillis()
        engine.health.record(target.channel.id, success: false, latencyMillis: now - attemptStarted, now: now)
        tryNextChannel()
    }

    func upstreamDidReceiveHead(_ head: UpstreamResponseHead) {
        guard case .awaitingHead = phase, let plan, let target else { return }
        let code = head.status
        answerHead = head
        if code < 200 || code == 204 || code == 205 || (300..<400).contains(code) {
            // No answer to an API call, and no body to relay: 204 and 304 have none, so a chunked or sized answer
            // built from them would corrupt the client's connection.
            lastStatus = code
            connection?.abort()
            connection = nil
            answerHead = nil
            attemptFailed()
            return
        }
        guard (200..<300).contains(code) else {
            answerBody.clear()
            phase = .collectingError(status: code)
            return
        }
        let now = engine.clock.monotonicMillis()
        engine.health.record(target.channel.id, success: true, latencyMillis: now - attemptStarted, now: now)
        // A stream only when upstream streams: a JSON answer to `stream: true` is relayed and billed whole.
        guard plan.body.stream, let contentType = head.contentType,
            contentType.lowercased().hasPrefix("text/event-stream")
        else {
            answerBody.clear()
            phase = .buffering
            return
        }
        phase = .streaming
        translator = engine.streamTranslator(plan, target: target)
        dialectMeter =
            translator == nil && target.dialect != .openAIChat
            ? StreamMeter(dialect: target.dialect, maxEventBytes: engine.config.maxSSEEventBytes) : nil
        // Usually the first events arrive in the same read as the head: they go out together, in one write.
        front?.writeHead(
            status: head.status, contentType: translator == nil ? contentType : "text/event-stream",
            contentLength: nil, flush: false)
        front?.flushSoon()
    }

    func upstreamDidReceiveBody(_ buffer: ByteBuffer) {
        switch phase {
        case .streaming where translator != nil:
            relayTranslated(buffer)
        case .streaming:
            var kept: [UInt8] = []
            if dialectMeter != nil {
                buffer.withUnsafeReadableBytes { raw in
                    raw.withMemoryRebound(to: UInt8.self) { dialectMeter?.feed($0) }
                }
            } else {
                buffer.withUnsafeReadableBytes { raw in
                    raw.withMemoryRebound(to: UInt8.self) { meter.consume($0, into: &kept) }
                }
            }
            if meter.overflowed || dialectMeter?.overflowed == true {
                // One event past the bound: the stream cannot be relayed whole.
                connection?.abort()
                connection = nil
                finishStream(status: "upstream_cut")
                return
            }
            if drainBoundPassed(buffer.readableBytes) { return }
            guard let front else { return }
            let out: ByteBuffer
            if meter.stripUsageChunk {
                guard !kept.isEmpty else { return }
                out = ByteBuffer(bytes: kept)
            } else {
                guard buffer.readableBytes > 0 else { return }
                out = buffer
            }
            if firstByte == nil { firstByte = engine.clock.monotonicMillis() }
            front.writeBody(out, flush: true)
            if !front.isWritable && !clientBlocked {
                clientBlocked = true
                connection?.setReading(false)
            }
        case .buffering:
            guard answerBody.readableBytes + buffer.readableBytes <= Self.maxResponseBytes else {
                connection?.abort()
                connection = nil
                answerHead = nil
                phase = .awaitingHead
                if clientLeft {
                    drainRanOut()
                } else {
                    attemptFailed()
                }
                return
            }
            Self.append(buffer, to: &answerBody)
            _ = drainBoundPassed(buffer.readableBytes)
        case .collectingError:
            if answerBody.readableBytes < Self.maxErrorBytes { Self.append(buffer, to: &answerBody) }
        default:
            return
        }
    }

    /// A piece of a stream in another dialect: translated, and what the client's dialect makes of it sent.
    private func relayTranslated(_ buffer: ByteBuffer) {
        // The stream's first event leaves as soon as it is translated, flushed at once; the rest of the read follows
        // at the end of the turn. No access to `translator` is held while writing to the client.
        let events = buffer.withUnsafeReadableBytes { raw in
            raw.withMemoryRebound(to: UInt8.self) { translator?.events(in: $0) ?? [] }
        }
        var out: [UInt8] = []
        for event in events {
            translator?.translate(event, into: &out)
            if firstByte == nil, !out.isEmpty, let front {
                firstByte = engine.clock.monotonicMillis()
                front.writeBodyNow(ByteBuffer(bytes: out))
                out.removeAll(keepingCapacity: true)
            }
        }
        if translator?.overflowed == true {
            connection?.abort()
            connection = nil
            finishStream(status: "upstream_cut")
            return
        }
        if drainBoundPassed(buffer.readableBytes) { return }
        guard let front, !out.isEmpty else { return }
        if firstByte == nil { firstByte = engine.clock.monotonicMillis() }
        front.writeBody(ByteBuffer(bytes: out), flush: true)
        if !front.isWritable && !clientBlocked {
            clientBlocked = true
            connection?.setReading(false)
        }
    }

    /// Adds a received piece to `body`; the first piece is kept as it is, without a copy.
    private static func append(_ buffer: ByteBuffer, to body: inout ByteBuffer) {
        if body.readableBytes == 0 {
            body = buffer
        } else {
            var piece = buffer
            body.writeBuffer(&piece)
        }
    }

    func upstreamDidFinish() {
        connection = nil
        switch phase {
        case .streaming:
            finishStream(status: "ok")
        case .buffering:
            completeBuffered()
        case .collectingError(let code):
            finishError(code)
        default:
            return
        }
    }

    func upstreamDidFail(_ error: UpstreamConnectionError) {
        let reused = connection?.isReused ?? false
        connection = nil
        switch phase {
        case .awaitingHead where answerHead == nil && error == .closed && reused && !retriedStale && !clientLeft:
            // An idle keep-alive connection the upstream had already closed: not the channel's failure.
            retriedStale = true
            if let origin = target?.origin { pool.connect(origin) { [self] result in connected(result) } }
        case .awaitingHead, .collectingError, .buffering:
            // Nothing reached the client yet: the next channel may still answer.
            answerHead = nil
            phase = .awaitingHead
            if clientLeft {
                endWithoutCharge(status: "client_disconnected")
            } else {
                attemptFailed()
            }
        case .streaming:
            finishStream(status: "upstream_cut")
        default:
            return
        }
    }

    // MARK: - Endings

    /// A non-2xx answer was read: fail over on 401, 403, 408, 429 and 5xx; otherwise the client sees its reduced form.
    private func finishError(_ code: Int) {
        guard let target else { return }
        let retryable = UpstreamError.failsOver(status: code)
        let now = engine.clock.monotonicMillis()
        engine.health.record(target.channel.id, success: !retryable, latencyMillis: now - attemptStarted, now: now)
        lastStatus = code
        answerHead = nil
        let errorBody = Array(answerBody.readableBytesView)
        answerBody = ByteBuffer()
        if clientLeft {
            endWithoutCharge(status: "client_disconnected")
        } else if retryable {
            phase = .awaitingHead
            tryNextChannel()
        } else {
            fail(
                RelayEngine.clientError(status: code, body: errorBody, dialect: plan?.endpoint.dialect ?? .openAIChat),
                status: "upstream_error")
        }
    }

    /// A 2xx non-streamed answer is complete: bill it from its usage (else the estimate of its prompt and text) and
    /// send it unchanged.
    private func completeBuffered() {
        guard let plan, let target, let head = answerHead else { return }
        // A 200 whose body is not a JSON object (or, from another dialect, not an answer its decoder reads) is an
        // upstream failure, not an answer to charge for.
        var translated: [UInt8]?
        let read: (usage: TokenUsage?, isJSON: Bool)
        if target.dialect != plan.endpoint.dialect {
            let answer = engine.translateAnswer(Array(answerBody.readableBytesView), plan: plan, target: target)
            translated = answer?.body
            read = (answer?.usage, answer != nil)
        } else {
            read = RelayEngine.passThroughUsage(answerBody, dialect: target.dialect)
        }
        guard read.isJSON else {
            let now = engine.clock.monotonicMillis()
            engine.health.record(target.channel.id, success: false, latencyMillis: now - attemptStarted, now: now)
            if clientLeft {
                endWithoutCharge(status: "client_disconnected")
                return
            }
            fail(
                RelayEngine.clientError(for: .allFailed(attempts: attempts, lastStatus: 200)),
                status: "upstream_malformed")
            return
        }
        let usage =
            read.usage
            ?? TokenUsage(
                promptTokens: plan.promptEstimate,
                completionTokens: TokenEstimator.outputTokens(textBytes: bufferedTextBytes()))
        settle(
            plan, usage: usage, status: clientLeft ? "client_disconnected" : "ok",
            firstByte: engine.clock.monotonicMillis())
        let body = translated.map { ByteBuffer(bytes: $0) } ?? answerBody
        answerBody = ByteBuffer()
        front?.writeAnswer(
            status: head.status,
            contentType: translated == nil ? (head.contentType ?? "application/json") : "application/json", body: body)
    }

    /// The stream ended, however it ended: bill the provider's usage, else the prompt estimate and all the text the
    /// upstream produced; then end the response. A stream that did not end as the protocol ends it is cut visibly:
    /// the client gets an error event and the connection closes without the last chunk.
    private func finishStream(status initial: String) {
        guard let plan else { return }
        if translator != nil {
            finishTranslatedStream(plan, upstreamEndedCleanly: initial == "ok")
            return
        }
        if dialectMeter != nil {
            finishMeteredStream(plan, upstreamEndedCleanly: initial == "ok")
            return
        }
        let tail = meter.finish()
        if !tail.isEmpty { front?.writeBody(ByteBuffer(bytes: tail), flush: false) }
        let status = streamStatus(upstreamEndedCleanly: initial == "ok")
        settle(
            plan, usage: meter.billableUsage(estimatedPromptTokens: plan.promptEstimate), status: status,
            firstByte: firstByte)
        if status == "upstream_cut" {
            front?.writeCut(ByteBuffer(staticString: Self.cutEvent))
        } else {
            front?.writeEnd()
        }
    }

    /// The end of a stream translated from another dialect. The translator's finish closes the client's stream in
    /// its dialect: the normal end after the upstream's terminal event, else an error event (a cut). Billing follows
    /// the same policy as a relayed stream: the provider's usage, else the prompt estimate and all text produced.
    private func finishTranslatedStream(_ plan: RelayEngine.Plan, upstreamEndedCleanly: Bool) {
        guard var translator else { return }
        let overflowed = translator.overflowed
        let tail = overflowed ? [] : translator.finish()
        self.translator = translator
        let status = translator.metering.status(clientLeft: clientLeft, overflowed: overflowed)
        let usage = translator.billableUsage(estimatedPromptTokens: plan.promptEstimate)
        settle(plan, usage: usage, status: status, firstByte: firstByte)
        if status == "upstream_cut" {
            let event = overflowed ? Self.cutEvent(in: plan.endpoint.dialect) : ByteBuffer(bytes: tail)
            front?.writeCut(event)
        } else {
            if !tail.isEmpty { front?.writeBody(ByteBuffer(bytes: tail), flush: false) }
            front?.writeEnd()
        }
    }

    /// The end of a stream relayed as it is in a dialect other than OpenAI's (Anthropic to an Anthropic client).
    private func finishMeteredStream(_ plan: RelayEngine.Plan, upstreamEndedCleanly: Bool) {
        guard var dialectMeter else { return }
        let overflowed = dialectMeter.overflowed
        if !overflowed { dialectMeter.finish() }
        self.dialectMeter = dialectMeter
        let status = dialectMeter.metering.status(clientLeft: clientLeft, overflowed: overflowed)
        let usage = dialectMeter.billableUsage(estimatedPromptTokens: plan.promptEstimate)
        settle(plan, usage: usage, status: status, firstByte: firstByte)
        if status == "upstream_cut" {
            front?.writeCut(Self.cutEvent(in: plan.endpoint.dialect))
        } else {
            front?.writeEnd()
        }
    }

    /// The error event that ends a cut stream, in the client's dialect.
    static func cutEvent(in dialect: Dialect) -> ByteBuffer {
        switch dialect {
        case .anthropicMessages: ByteBuffer(staticString: anthropicCutEvent)
        case .openAIChat, .gemini: ByteBuffer(staticString: cutEvent)
        }
    }

    /// ``cutEvent`` for Anthropic clients.
    static let anthropicCutEvent: StaticString =
        "\n\nevent: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"api_error\",\"message\":\"The upstream provider ended the stream before it was complete; the answer is truncated.\"}}\n\n"

    /// How a stream ended, for the request log: the client left; or it was cut (an event over the bound, or no
    /// terminal event: a clean end without `[DONE]` counts as whole only when the usage came); or it is whole (the
    /// terminal event seen, even if the connection failed after it, as a TLS close without close_notify does).
    private func streamStatus(upstreamEndedCleanly: Bool) -> String {
        if clientLeft { return "client_disconnected" }
        if meter.overflowed { return "upstream_cut" }
        if meter.sawDone || (upstreamEndedCleanly && meter.usage != nil) { return "ok" }
        return "upstream_cut"
    }

    /// Sent before a cut stream's connection closes; SDKs raise it as an API error.
    static let cutEvent: StaticString =
        "\n\ndata: {\"error\":{\"message\":\"The upstream provider ended the stream before it was complete; the answer is truncated.\",\"type\":\"server_error\",\"code\":\"upstream_cut\"}}\n\n"

    /// Ends the request with an error before anything was sent: nothing is charged.
    private func fail(_ error: OpenAIError, status: String) {
        drainTimer?.cancel()
        if let plan {
            plan.reservation.release()
            engine.record(
                plan, channelID: status == "upstream_error" ? nil : target?.channel.id, usage: .zero, cost: .zero,
                firstByte: nil, status: status)
        }
        phase = .done
        front?.writeError(error, dialect: endpoint.dialect)
    }

    /// Answers with an error before any upstream was tried; the rest of the client's body is dropped.
    private func refuse(_ error: OpenAIError) {
        front?.refused()
        phase = requestComplete ? .done : .discarding
        // Reading an oversized body to its end only to drop it is what the limit is there to avoid.
        if !requestComplete && error.code == "request_too_large" { front?.closeWhenAnswered() }
        requestBody = ByteBuffer()
        front?.writeError(error, dialect: endpoint.dialect)
    }
}
