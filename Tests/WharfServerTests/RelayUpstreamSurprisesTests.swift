import AsyncHTTPClient
import Foundation
import NIOCore
import NIOPosix
import Testing
import WharfCore
import WharfServer

/// Upstream answers that are not what the request led to expect, and clients slower than their upstream.
@Suite("Relay: surprising upstreams and slow clients")
struct RelayUpstreamSurprisesTests {
    static let extraModels = RelayHarness.defaultModels + ["big", "json-for-stream"]

    @Test("An error answer that breaks off while being read fails over like any error, and the client pays once")
    func brokenErrorBodyFailsOver() async throws {
        let channels = [
            RelayHarness.ChannelSpec(
                name: "breaking", models: ["gpt-4o-mini"], priority: 10, mapping: ["gpt-4o-mini": "error-cut"]),
            RelayHarness.ChannelSpec(name: "good", models: ["gpt-4o-mini"], priority: 0),
        ]
        try await Self.expectFailoverToGood(channels)
    }

    @Test("An upstream that answers with bytes that are not HTTP fails over, and the client pays once")
    func notHTTPFailsOver() async throws {
        let garbage = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(NotHTTP())
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        let channels = [
            RelayHarness.ChannelSpec(
                name: "not-http", models: ["gpt-4o-mini"], priority: 10,
                baseURL: "http://127.0.0.1:\(garbage.localAddress?.port ?? 0)/v1"),
            RelayHarness.ChannelSpec(name: "good", models: ["gpt-4o-mini"], priority: 0),
        ]
        try await Self.expectFailoverToGood(channels)
        try await garbage.close()
    }

    /// Relays one chat over `channels` (the first failing, the second a good stub) and checks that the good one
    /// answered and the client paid once.
    static func expectFailoverToGood(_ channels: [RelayHarness.ChannelSpec]) async throws {
        try await RelayHarness.with(channels: channels) { h in
            let answer = try await h.request("/v1/chat/completions", body: RelayHarness.chat())
            #expect(answer.status == 200)
            #expect(answer.body.contains("Hello from stub"))
            #expect(try await h.flushedBalance() == Money(micros: startBalance - stubCost))
        }
    }

    /// Answers whatever it reads with a line that is not an HTTP response.
    final class NotHTTP: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        typealias OutboundOut = ByteBuffer
        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: "SSH-2.0-OpenSSH_9.6\r\n")), promise: nil)
        }
    }

    @Test("A JSON answer to a streamed request is relayed whole and billed from its usage")
    func jsonAnswerToStreamBilled() async throws {
        try await RelayHarness.with(channels: [.init(name: "stub", models: Self.extraModels)]) { h in
            let answer = try await h.request(
                "/v1/chat/completions", body: RelayHarness.chat(model: "json-for-stream", stream: true))
            #expect(answer.status == 200)
            #expect(answer.body.hasPrefix(#"{"id":"chatcmpl-1","object":"chat.completion""#))
            #expect(try await h.flushedBalance() == Money(micros: startBalance - stubCost))
            let record = try #require(try await h.store.usageRecords(userID: h.user.id).first)
            #expect(record.status == "ok")
        }
    }

    @Test("A client that stops reading longer than the upstream read timeout still gets the whole stream")
    func slowClientIsNotAnUpstreamCut() async throws {
        // The harness's upstream read timeout is 1 s; this client pauses 2 s with 16 MB still to come.
        try await RelayHarness.with(channels: [.init(name: "stub", models: Self.extraModels)]) { h in
            let client = HTTPClient(eventLoopGroupProvider: .singleton)
            let response = try await client.execute(h.streamRequest(model: "big"), timeout: .seconds(60))
            var bytes = 0
            var tail = ""
            var paused = false
            for try await chunk in response.body {
                bytes += chunk.readableBytes
                tail = String((tail + String(buffer: chunk)).suffix(64))
                if !paused {
                    paused = true
                    try await Task.sleep(for: .seconds(2))
                }
            }
            try await client.shutdown()
            #expect(bytes > 16_000_000)
            #expect(tail.hasSuffix("data: [DONE]\n\n"))
            let records = try await h.eventually(5) { try await h.store.usageRecords(userID: h.user.id).count == 1 }
            #expect(records)
            #expect(try await h.store.usageRecords(userID: h.user.id).first?.status == "ok")
            // The upstream connection went back to the pool reading again: the next requests on it are answered.
            for _ in 0..<3 {
                #expect(try await h.request("/v1/chat/completions", body: RelayHarness.chat()).status == 200)
            }
        }
    }

    @Test("A streamed answer to an HTTP/1.0 client ends by closing the connection")
    func http10StreamCloses() async throws {
        try await RelayHarness.with { h in
            let request = RawHTTP.chatPost(
                RelayHarness.chat(stream: true), key: h.key, version: "HTTP/1.0", headers: ["Connection: keep-alive"])
            let started = ContinuousClock.now
            let answer = try await RawHTTP.exchange(port: h.port, request)
            #expect(ContinuousClock.now - started < .seconds(5))
            #expect(answer.hasPrefix("HTTP/1.0 200 OK"))
            #expect(answer.lowercased().contains("connection: close"))
            #expect(!answer.lowercased().contains("transfer-encoding: chunked"))
            #expect(answer.hasSuffix("data: [DONE]\n\n"))
        }
    }
}
