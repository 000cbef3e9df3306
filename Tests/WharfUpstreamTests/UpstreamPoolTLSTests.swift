import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import Testing
import WharfTestSupport

@testable import WharfUpstream

/// The relay's upstream pool against a real TLS server on loopback: certificates are verified, connections are
/// kept alive and reused.
@Suite("Upstream pool over TLS")
struct UpstreamPoolTLSTests {
    /// Answers every request with a small JSON body, keeping the connection open; counts connections.
    final class JSONServer: ChannelInboundHandler {
        typealias InboundIn = HTTPServerRequestPart
        typealias OutboundOut = HTTPServerResponsePart
        let connections: NIOLockedValueBox<Int>
        init(connections: NIOLockedValueBox<Int>) { self.connections = connections }
        func channelActive(context: ChannelHandlerContext) {
            connections.withLockedValue { $0 += 1 }
            context.fireChannelActive()
        }
        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            guard case .end = unwrapInboundIn(data) else { return }
            let body = ByteBuffer(string: #"{"ok":true}"#)
            let head = HTTPResponseHead(
                version: .http1_1, status: .ok, headers: ["content-length": String(body.readableBytes)])
            context.write(wrapOutboundOut(.head(head)), promise: nil)
            context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        }
    }

    /// Collects one response and completes a promise when it ends or fails.
    final class Collector: UpstreamResponseDelegate {
        var status: UInt = 0
        var body = ""
        let done: EventLoopPromise<Result<(UInt, String), UpstreamConnectionError>>
        init(done: EventLoopPromise<Result<(UInt, String), UpstreamConnectionError>>) { self.done = done }
        func upstreamDidReceiveHead(_ head: UpstreamResponseHead) { status = UInt(head.status) }
        func upstreamDidReceiveBody(_ buffer: ByteBuffer) { body += String(buffer: buffer) }
        func upstreamDidFinish() { done.succeed(.success((status, body))) }
        func upstreamDidFail(_ error: UpstreamConnectionError) { done.succeed(.failure(error)) }
    }

    static func startServer(_ certificates: TestCertificates, connections: NIOLockedValueBox<Int>) async throws
        -> any Channel
    {
        try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let sync = channel.pipeline.syncOperations
                    try sync.addHandler(NIOSSLServerHandler(context: certificates.serverContext))
                    try sync.configureHTTPServerPipeline()
                    try sync.addHandler(JSONServer(connections: connections))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
    }

    /// Sends one POST through `pool` on `loop` and waits for its outcome.
    static func post(_ pool: UpstreamConnectionPool, _ target: UpstreamTarget, on loop: any EventLoop) async throws
        -> (result: Result<(UInt, String), UpstreamConnectionError>, reused: Bool)
    {
        let done = loop.makePromise(of: Result<(UInt, String), UpstreamConnectionError>.self)
        let reused = NIOLockedValueBox(false)
        let origin = try #require(target.origin)
        loop.execute {
            let collector = Collector(done: done)
            pool.pool(for: loop).acquire(origin) { acquired in
                switch acquired {
                case .failure(let error): done.succeed(.failure(error))
                case .success(let connection):
                    let body = ByteBuffer(string: "{}")
                    connection.send(
                        head: target.postHead("/chat/completions", contentLength: body.readableBytes), body: body,
                        delegate: collector, readTimeout: .seconds(5))
                    reused.withLockedValue { $0 = connection.isReused }
                }
            }
        }
        let result = try await done.futureResult.get()
        return (result, reused.withLockedValue { $0 })
    }

    static func target(port: Int, host: String = "localhost") -> UpstreamTarget {
        UpstreamTarget(
            channel: .init(
                id: "chn_tls", name: "tls", provider: .openai, baseURL: "https://\(host):\(port)/v1", models: ["m"]),
            apiKey: "sk-upstream")
    }

    @Test("A server whose certificate chains to a trusted root answers, and its connection is reused")
    func trustedServer() async throws {
        let certificates = try TestCertificates.make()
        let connections = NIOLockedValueBox(0)
        let server = try await Self.startServer(certificates, connections: connections)
        let pool = UpstreamConnectionPool(connectTimeout: .seconds(2), tlsContext: try certificates.clientContext())
        let loop = MultiThreadedEventLoopGroup.singleton.next()
        let target = Self.target(port: server.localAddress?.port ?? 0)
        let first = try await Self.post(pool, target, on: loop)
        let second = try await Self.post(pool, target, on: loop)
        #expect(try first.result.get() == (200, #"{"ok":true}"#))
        #expect(try second.result.get() == (200, #"{"ok":true}"#))
        #expect(!first.reused)
        #expect(second.reused)
        #expect(connections.withLockedValue { $0 } == 1)
        await pool.shutdown()
        try await server.close()
    }

    @Test("A server whose certificate the system does not trust is refused before any request byte is sent")
    func untrustedServer() async throws {
        let certificates = try TestCertificates.make()
        let connections = NIOLockedValueBox(0)
        let server = try await Self.startServer(certificates, connections: connections)
        let pool = UpstreamConnectionPool(connectTimeout: .seconds(2))  // the system's roots only
        let loop = MultiThreadedEventLoopGroup.singleton.next()
        let outcome = try await Self.post(pool, Self.target(port: server.localAddress?.port ?? 0), on: loop)
        if case .success = outcome.result { Issue.record("an untrusted certificate was accepted") }
        await pool.shutdown()
        try await server.close()
    }
}
