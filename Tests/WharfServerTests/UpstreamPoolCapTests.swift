import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import Testing
import WharfUpstream

/// Connections to one upstream origin are capped: requests past the cap wait, in order, for one to come free, and
/// give up after the connect timeout instead of opening more.
@Suite("Upstream pool: connections per origin")
struct UpstreamPoolCapTests {
    /// A TCP listener on loopback that accepts and holds connections, counting them.
    final class Listener: @unchecked Sendable {
        let open = NIOLockedValueBox(0)
        let most = NIOLockedValueBox(0)
        let accepted = NIOLockedValueBox(0)
        var channel: (any Channel)?

        final class Counter: ChannelInboundHandler, @unchecked Sendable {
            typealias InboundIn = ByteBuffer
            let listener: Listener
            init(_ listener: Listener) { self.listener = listener }
            func channelActive(context: ChannelHandlerContext) {
                listener.accepted.withLockedValue { $0 += 1 }
                let now = listener.open.withLockedValue { v -> Int in
                    v += 1
                    return v
                }
                listener.most.withLockedValue { $0 = max($0, now) }
            }
            func channelInactive(context: ChannelHandlerContext) { listener.open.withLockedValue { $0 -= 1 } }
        }

        func start() async throws -> Int {
            let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .childChannelInitializer { [self] channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(Counter(self))
                    }
                }
                .bind(host: "127.0.0.1", port: 0).get()
            self.channel = channel
            return channel.localAddress?.port ?? 0
        }
    }

    @Test(
        "At the cap a request waits for a connection to close, then gets one; past the connect timeout it fails with poolFull"
    )
    func capHolds() async throws {
        let listener = Listener()
        let port = try await listener.start()
        let pool = UpstreamConnectionPool(connectTimeout: .seconds(2), maxConnectionsPerOrigin: 2, loopCount: 1)
        let loop = MultiThreadedEventLoopGroup.singleton.next()
        let loopPool = pool.pool(for: loop)
        let origin = UpstreamOrigin(tls: false, host: "127.0.0.1", port: port, hostHeader: "127.0.0.1:\(port)")
        typealias Outcome = Result<UpstreamConnection, UpstreamConnectionError>
        let outcomes = NIOLockedValueBox<[Int: Outcome]>([:])
        func acquire(_ n: Int) async throws {
            try await loop.submit {
                loopPool.acquire(origin) { result in outcomes.withLockedValue { $0[n] = result } }
            }.get()
        }
        func outcome(_ n: Int, within seconds: Double = 5) async throws -> Outcome? {
            let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
            while ContinuousClock.now < deadline {
                if let o = outcomes.withLockedValue({ $0[n] }) { return o }
                try await Task.sleep(for: .milliseconds(10))
            }
            return nil
        }
        try await acquire(1)
        try await acquire(2)
        let first = try #require(try await outcome(1)).get()
        _ = try #require(try await outcome(2)).get()
        // The third waits: no third connection is opened.
        try await acquire(3)
        try await Task.sleep(for: .milliseconds(150))
        #expect(outcomes.withLockedValue { $0[3] } == nil)
        #expect(try await loop.submit { loopPool.waitingCount(origin) }.get() == 1)
        #expect(listener.accepted.withLockedValue { $0 } == 2)
        // One closes: the waiting request gets a connection.
        try await loop.submit { first.abort() }.get()
        let third = try #require(try await outcome(3))
        #expect((try? third.get()) != nil)
        // Both slots busy again: the next request gives up after the connect timeout.
        let started = ContinuousClock.now
        try await acquire(4)
        let fourth = try #require(try await outcome(4))
        #expect(ContinuousClock.now - started >= .milliseconds(1_900))
        guard case .failure(.poolFull) = fourth else {
            Issue.record("expected poolFull, got \(fourth)")
            return
        }
        #expect(try await loop.submit { loopPool.waitingCount(origin) }.get() == 0)
        await pool.shutdown()
        for case .success(let c) in outcomes.withLockedValue({ Array($0.values) }) {
            try await loop.submit { c.abort() }.get()
        }
        try await listener.channel?.close()
    }
}
