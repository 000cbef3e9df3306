import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix

/// An OpenAI-like upstream that answers the first request of each connection with keep-alive, then closes the
/// connection without answering when a second request arrives on it: the race of a server whose keep-alive
/// timeout ends just as a pooled connection is reused.
struct OneAnswerPerConnectionUpstream {
    final class Counters: Sendable {
        let connections = NIOLockedValueBox(0)
        let answered = NIOLockedValueBox(0)
    }

    final class Handler: ChannelInboundHandler {
        typealias InboundIn = HTTPServerRequestPart
        typealias OutboundOut = HTTPServerResponsePart
        let counters: Counters
        var requests = 0
        init(counters: Counters) { self.counters = counters }

        func channelActive(context: ChannelHandlerContext) {
            counters.connections.withLockedValue { $0 += 1 }
            context.fireChannelActive()
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            guard case .end = unwrapInboundIn(data) else { return }
            requests += 1
            guard requests == 1 else {
                context.close(promise: nil)
                return
            }
            counters.answered.withLockedValue { $0 += 1 }
            let body = ByteBuffer(
                string:
                    #"{"id":"chatcmpl-1","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"Hi"},"finish_reason":"stop"}],"usage":{"prompt_tokens":12,"completion_tokens":5,"total_tokens":17}}"#
            )
            let head = HTTPResponseHead(
                version: .http1_1, status: .ok,
                headers: ["content-type": "application/json", "content-length": String(body.readableBytes)])
            context.write(wrapOutboundOut(.head(head)), promise: nil)
            context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        }
    }

    let channel: any Channel
    let counters: Counters
    var port: Int { channel.localAddress?.port ?? 0 }

    static func start() async throws -> OneAnswerPerConnectionUpstream {
        let counters = Counters()
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(Handler(counters: counters))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        return OneAnswerPerConnectionUpstream(channel: channel, counters: counters)
    }

    func stop() async { try? await channel.close() }
}
