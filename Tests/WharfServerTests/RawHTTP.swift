import NIOCore
import NIOPosix

/// Writes raw bytes to a server on loopback and reads everything it sends until it closes the connection.
enum RawHTTP {
    final class Collector: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        var received = ByteBuffer()
        let done: EventLoopPromise<String>
        init(done: EventLoopPromise<String>) { self.done = done }
        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            var buffer = unwrapInboundIn(data)
            received.writeBuffer(&buffer)
        }
        func channelInactive(context: ChannelHandlerContext) { done.succeed(String(buffer: received)) }
        func errorCaught(context: ChannelHandlerContext, error: any Error) { context.close(promise: nil) }
    }

    /// A framed `POST /v1/chat/completions` of `body` with the bearer `key` and any extra header lines.
    static func chatPost(_ body: String, key: String, version: String = "HTTP/1.1", headers: [String] = []) -> String {
        let extra = headers.map { $0 + "\r\n" }.joined()
        return "POST /v1/chat/completions \(version)\r\nHost: 127.0.0.1\r\nAuthorization: Bearer \(key)\r\n"
            + "Content-Type: application/json\r\n\(extra)Content-Length: \(body.utf8.count)\r\n\r\n\(body)"
    }

    /// Sends `request` (already framed) and returns all bytes of the answer.
    static func exchange(port: Int, _ request: String) async throws -> String {
        let loop = MultiThreadedEventLoopGroup.singleton.next()
        let done = loop.makePromise(of: String.self)
        let channel = try await ClientBootstrap(group: loop)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(Collector(done: done))
                }
            }
            .connect(host: "127.0.0.1", port: port).get()
        try await channel.writeAndFlush(ByteBuffer(string: request))
        let timeout = loop.scheduleTask(in: .seconds(10)) { channel.close(promise: nil) }
        defer { timeout.cancel() }
        return try await done.futureResult.get()
    }
}
