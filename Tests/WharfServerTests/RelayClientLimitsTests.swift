import Foundation
import NIOCore
import NIOPosix
import Testing
import WharfCore

/// Connections that hold the server's resources without sending (or reading) what a request needs are closed.
@Suite("Relay: client time limits and refused requests")
struct RelayClientLimitsTests {
    static let tune: @Sendable (inout WharfConfig) -> Void = { c in
        c.clientIdleTimeoutMillis = 400
        c.clientHeaderTimeoutMillis = 400
        c.clientBodyTimeoutMillis = 600
        c.clientStallTimeoutMillis = 600
        // A client that left is drained to its usage (the big stream is 16 MB).
        c.disconnectDrainBytes = 64 << 20
    }

    /// Sends `head`, then one more byte every `every` until the server closes; returns how long that took.
    static func trickle(port: Int, _ head: String, every: TimeAmount) async throws -> Duration {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: "127.0.0.1", port: port).get()
        let started = ContinuousClock.now
        // On a busy machine the server may close first: a write to a closed connection is what is measured anyway.
        try? await channel.writeAndFlush(ByteBuffer(string: head))
        let bytes = channel.eventLoop.scheduleRepeatedTask(initialDelay: every, delay: every) { _ in
            channel.writeAndFlush(ByteBuffer(string: "x"), promise: nil)
        }
        let giveUp = channel.eventLoop.scheduleTask(in: .seconds(10)) { channel.close(promise: nil) }
        try await channel.closeFuture.get()
        bytes.cancel()
        giveUp.cancel()
        return ContinuousClock.now - started
    }

    @Test("An idle connection, one with half a head, and one whose body trickles in are closed by their limits")
    func timeouts() async throws {
        try await RelayHarness.with(tune: Self.tune) { h in
            let idle = try await Self.trickle(port: h.port, "", every: .seconds(60))
            #expect(idle < .seconds(3))
            // A header line that never ends, a byte every 100 ms.
            let halfHead = try await Self.trickle(
                port: h.port, "POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ",
                every: .milliseconds(100))
            #expect(halfHead < .seconds(3))
            // A body of 200 bytes, a byte every 100 ms: 20 s if nothing stopped it.
            let head = RawHTTP.chatPost(String(repeating: " ", count: 200), key: h.key)
            let slowBody = try await Self.trickle(
                port: h.port, String(head.prefix(head.utf8.count - 200)), every: .milliseconds(100))
            #expect(slowBody < .seconds(3))
        }
    }

    @Test("A client that stops reading a stream is disconnected at the stall limit, and still pays for the answer")
    func stalledClient() async throws {
        let channels = [RelayHarness.ChannelSpec(name: "stub", models: RelayHarness.defaultModels + ["big"])]
        try await RelayHarness.with(channels: channels, tune: Self.tune) { h in
            let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .channelOption(ChannelOptions.autoRead, value: false)
                .connect(host: "127.0.0.1", port: h.port).get()
            let request = RawHTTP.chatPost(RelayHarness.chat(model: "big", stream: true), key: h.key)
            try await channel.writeAndFlush(ByteBuffer(string: request))
            // The client reads nothing: the server's buffers fill, then the stall limit passes.
            #expect(
                try await h.eventually(8) {
                    await h.services.writer.flush()
                    return try await h.store.usageRecords(userID: h.user.id).first?.status == "client_disconnected"
                })
            try await channel.close()
            let record = try #require(try await h.store.usageRecords(userID: h.user.id).first)
            #expect(record.cost.micros == stubCost, "the upstream answer was drained to its usage")
        }
    }

    @Test("A connection that keeps sending refused requests is closed after 32 of them")
    func refusedInARow() async throws {
        try await RelayHarness.with { h in
            let keyless = RawHTTP.chatPost(RelayHarness.chat(), key: "sk-nope")
            let answer = try await RawHTTP.exchange(port: h.port, String(repeating: keyless, count: 100))
            let answers = answer.components(separatedBy: "HTTP/1.1 401").count - 1
            #expect(answers == 32)
            #expect(answer.contains("connection: close"))
        }
    }
}
