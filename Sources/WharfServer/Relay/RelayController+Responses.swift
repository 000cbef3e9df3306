import AsyncHTTPClient
import Hummingbird
import NIOCore
import WharfCore
import WharfUpstream

extension RelayController {
    /// Largest non-streamed upstream response accepted.
    static let maxResponseBytes = 256 * 1024 * 1024

    /// Relays a non-streamed answer: the body is read whole (its usage is needed to bill) and sent unchanged.
    func bufferedResponse(_ answer: UpstreamClient.Answer, meta: RelayMeta) async throws -> Response {
        let buffer: ByteBuffer
        do {
            buffer = try await answer.response.body.collect(upTo: Self.maxResponseBytes)
        } catch {
            meta.reservation.release()
            finish(meta, usage: .zero, cost: .zero, firstByte: nil, status: "upstream_cut", stream: false)
            throw Self.clientError(for: UpstreamError.allFailed(attempts: answer.attempts, lastStatus: nil))
        }
        let bytes = Array(buffer.readableBytesView)
        // A 200 whose body is not a JSON object is an upstream failure, not an answer to charge for.
        guard (try? JSONObjectScanner(bytes)) != nil else {
            meta.reservation.release()
            upstream.health.record(
                meta.channelID, success: false, latencyMillis: clock.monotonicMillis() - answer.startedAt,
                now: clock.monotonicMillis())
            finish(meta, usage: .zero, cost: .zero, firstByte: nil, status: "upstream_malformed", stream: false)
            throw Self.clientError(for: UpstreamError.allFailed(attempts: answer.attempts, lastStatus: 200))
        }
        let usage =
            UsageExtractor.usage(inBody: bytes)
            ?? TokenUsage(
                promptTokens: meta.promptEstimate,
                completionTokens: TokenEstimator.deliveredTokens(bytes: SSEStreamMeter.textBytes(in: bytes)))
        let charged = meta.reservation.settle(cost: meta.price.cost(of: usage))
        finish(meta, usage: usage, cost: charged, firstByte: clock.monotonicMillis(), status: "ok", stream: false)
        var headers = HTTPFields()
        headers[.contentType] = answer.response.headers.first(name: "content-type") ?? "application/json"
        return Response(
            status: HTTPResponse.Status(code: Int(answer.response.status.code)), headers: headers,
            body: .init(byteBuffer: buffer))
    }

    /// Relays a streamed answer chunk by chunk as it arrives. Billing happens when the stream ends, however it ends.
    func streamResponse(_ answer: UpstreamClient.Answer, meta: RelayMeta, stripUsage: Bool) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = answer.response.headers.first(name: "content-type") ?? "text/event-stream"
        headers[.cacheControl] = "no-cache"
        let upstreamBody = answer.response.body
        let body = ResponseBody { writer in
            var meter = SSEStreamMeter(stripUsageChunk: stripUsage)
            var firstByte: Int64?
            var status = "ok"
            do {
                for try await chunk in upstreamBody {
                    // With stripping, the meter decides what goes out; without, the upstream buffer goes out as is.
                    let out = meter.consume(Array(chunk.readableBytesView))
                    guard stripUsage ? !out.isEmpty : chunk.readableBytes > 0 else { continue }
                    if firstByte == nil { firstByte = clock.monotonicMillis() }
                    do {
                        try await writer.write(stripUsage ? ByteBuffer(bytes: out) : chunk)
                    } catch {
                        status = "client_disconnected"
                        break
                    }
                }
            } catch {
                status = "upstream_cut"
            }
            if status != "client_disconnected" {
                let tail = meter.finish()
                if !tail.isEmpty {
                    try? await writer.write(ByteBuffer(bytes: tail))
                }
                if status == "ok" && !meter.sawDone && meter.usage == nil { status = "upstream_cut" }
            }
            let delivered = meter.forwardedBytes > 0 || firstByte != nil
            let usage = meter.billableUsage(estimatedPromptTokens: meta.promptEstimate)
            let charged =
                delivered && (meter.usage != nil || meter.deliveredTextBytes > 0)
                ? meta.reservation.settle(cost: meta.price.cost(of: usage)) : meta.reservation.settle(cost: .zero)
            finish(
                meta, usage: charged.micros > 0 ? usage : .zero, cost: charged, firstByte: firstByte, status: status,
                stream: true)
            if status != "client_disconnected" {
                try await writer.finish(nil)
            }
        }
        return Response(
            status: HTTPResponse.Status(code: Int(answer.response.status.code)), headers: headers, body: body)
    }

    func finish(
        _ meta: RelayMeta, usage: TokenUsage, cost: Money, firstByte: Int64?, status: String, stream: Bool
    ) {
        record(
            endpoint: meta.endpoint, key: meta.key, model: meta.model, channelID: meta.channelID, usage: usage,
            cost: cost, started: meta.started, firstByte: firstByte, status: status, stream: stream,
            peerAddress: meta.peerAddress)
    }
}
