import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import Testing

@testable import WharfUpstream

/// The upstream pool's connections against a server on loopback that answers each request with fixed bytes: what a
/// connection makes of well-formed, odd and broken answers, and when it is kept for the next request.
@Suite("Upstream connections")
struct UpstreamConnectionTests {
    /// Reads each whole request (head and `Content-Length` body) and writes `answer` for it; closes after the answer
    /// when `closeAfter` is set. Counts connections.
    final class CannedServer: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        typealias OutboundOut = ByteBuffer
        let answer: String
        let closeAfter: Bool
        let connections: NIOLockedValueBox<Int>
        var received = ""

        init(answer: String, closeAfter: Bool, connections: NIOLockedValueBox<Int>) {
            self.answer = answer
            self.closeAfter = closeAfter
            self.connections = connections
        }

        func channelActive(context: ChannelHandlerContext) {
            connections.withLockedValue { $0 += 1 }
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            received += String(buffer: unwrapInboundIn(data))
            guard let headEnd = received.range(of: "\r\n\r\n") else { return }
            let length =
                received[..<headEnd.lowerBound].lowercased().split(separator: "\r\n")
                .first { $0.hasPrefix("content-length: ") }
                .flatMap { Int($0.dropFirst(16)) } ?? 0
            guard received[headEnd.upperBound...].utf8.count >= length else { return }
            received = ""
            let written = context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: answer)))
            if closeAfter { written.whenComplete { _ in context.close(promise: nil) } }
        }
    }

    /// A server answering `answer`, a target pointing at it, and a pool to reach it from one event loop.
    struct Upstream {
        let target: UpstreamTarget
        let pool: UpstreamConnectionPool
        let loop: any EventLoop
        let connections: NIOLockedValueBox<Int>

        /// Sends one POST through the pool and waits for its outcome.
        func post() async throws -> (result: Result<(UInt, String), UpstreamConnectionError>, reused: Bool) {
            try await UpstreamPoolTLSTests.post(pool, target, on: loop)
        }
    }

    /// Runs `body` against a fresh server answering `answer`, then shuts both the pool and the server down.
    static func with(answer: String, closeAfter: Bool = false, _ body: (Upstream) async throws -> Void)
        async throws
    {
        let connections = NIOLockedValueBox(0)
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        CannedServer(answer: answer, closeAfter: closeAfter, connections: connections))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        let target = UpstreamTarget(
            channel: .init(
                id: "chn_raw", name: "raw", provider: .openai,
                baseURL: "http://127.0.0.1:\(server.localAddress?.port ?? 0)/v1", models: ["m"]),
            apiKey: "sk-upstream")
        let upstream = Upstream(
            target: target, pool: UpstreamConnectionPool(connectTimeout: .seconds(2)),
            loop: MultiThreadedEventLoopGroup.singleton.next(), connections: connections)
        do {
            try await body(upstream)
        } catch {
            await upstream.pool.shutdown()
            try await server.close()
            throw error
        }
        await upstream.pool.shutdown()
        try await server.close()
    }

    static let ok = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 11\r\n\r\n{\"ok\":true}"

    @Test("A well-formed answer is read whole and its connection is reused for the next request")
    func reused() async throws {
        try await Self.with(answer: Self.ok) { upstream in
            for _ in 0..<3 {
                let outcome = try await upstream.post()
                #expect(try outcome.result.get() == (200, #"{"ok":true}"#))
            }
            #expect(upstream.connections.withLockedValue { $0 } == 1)
        }
    }

    @Test("An answer without a length ends when the server closes, and is complete")
    func bodyUntilClose() async throws {
        let answer = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n{\"until\":\"close\"}"
        try await Self.with(answer: answer, closeAfter: true) { upstream in
            for _ in 0..<2 {
                let outcome = try await upstream.post()
                #expect(try outcome.result.get() == (200, #"{"until":"close"}"#))
            }
            #expect(upstream.connections.withLockedValue { $0 } == 2)
        }
    }

    @Test("Bytes after an answer make the connection unfit for another request: it is closed, not pooled")
    func trailingBytes() async throws {
        try await Self.with(answer: Self.ok + "HTTP/1.1 200 OK\r\n\r\n") { upstream in
            for _ in 0..<2 {
                let outcome = try await upstream.post()
                #expect(try outcome.result.get() == (200, #"{"ok":true}"#))
                #expect(!outcome.reused)
            }
            #expect(upstream.connections.withLockedValue { $0 } == 2)
        }
    }

    @Test(
        "A broken answer fails the exchange as malformed, whatever else it says",
        arguments: [
            "SSH-2.0-OpenSSH_9.6\r\n", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello",
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nnot-hex\r\n",
        ])
    func malformed(answer: String) async throws {
        try await Self.with(answer: answer) { upstream in
            let outcome = try await upstream.post()
            #expect(throws: UpstreamConnectionError.malformedResponse) { try outcome.result.get() }
        }
    }

    @Test("A server that closes in the middle of a body with a length fails the exchange as closed")
    func cutBody() async throws {
        let answer = "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{\"partial\""
        try await Self.with(answer: answer, closeAfter: true) { upstream in
            let outcome = try await upstream.post()
            #expect(throws: UpstreamConnectionError.closed) { try outcome.result.get() }
        }
    }

    /// Aborts its connection at the first piece of body, as the relay does when its client goes away mid-stream.
    final class Aborter: UpstreamResponseDelegate {
        var connection: UpstreamConnection?
        var pieces = 0
        let done: EventLoopPromise<Int>
        init(done: EventLoopPromise<Int>) { self.done = done }
        func upstreamDidReceiveHead(_ head: UpstreamResponseHead) {}
        func upstreamDidReceiveBody(_ buffer: ByteBuffer) {
            pieces += 1
            connection?.abort()
            // Whatever else was in the read must not reach this delegate, and nothing may trap.
            connection?.pool.eventLoop.execute { self.done.succeed(self.pieces) }
        }
        func upstreamDidFinish() { done.fail(UpstreamConnectionError.closed) }
        func upstreamDidFail(_ error: UpstreamConnectionError) { done.fail(error) }
    }

    @Test("A delegate that aborts in the middle of a read stops it there; the connection is closed, not pooled")
    func abortDuringRead() async throws {
        let answer =
            "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n"
            + "2\r\nhi\r\n2\r\nho\r\n0\r\n\r\n"
        try await Self.with(answer: answer) { upstream in
            let (pool, target, loop) = (upstream.pool, upstream.target, upstream.loop)
            let origin = try #require(target.origin)
            let done = loop.makePromise(of: Int.self)
            loop.execute {
                pool.pool(for: loop).acquire(origin) { acquired in
                    guard case .success(let connection) = acquired else {
                        return done.fail(UpstreamConnectionError.closed)
                    }
                    let aborter = Aborter(done: done)
                    aborter.connection = connection
                    let body = ByteBuffer(string: "{}")
                    connection.send(
                        head: target.postHead("/chat/completions", contentLength: body.readableBytes), body: body,
                        delegate: aborter, readTimeout: .seconds(5))
                }
            }
            // What matters: the process did not trap, and the aborted connection was not put back (next line).
            #expect(try await done.futureResult.get() == 1)
            let next = try await upstream.post()
            #expect(!next.reused)
            #expect(upstream.connections.withLockedValue { $0 } == 2)
        }
    }
}
