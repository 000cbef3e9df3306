import NIOCore
import NIOPosix

/// An upstream that accepts a connection, reads the request and resets the connection (RST, no response), the
/// way a crashing provider or a dropped proxy does.
struct ResettingUpstream {
    final class ResetHandler: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            // SO_LINGER 0 turns the close into a reset.
            let channel = context.channel
            guard let provider = channel as? any SocketOptionProvider else { return channel.close(promise: nil) }
            provider.setSoLinger(linger(l_onoff: 1, l_linger: 0)).whenComplete { _ in channel.close(promise: nil) }
        }
    }

    let channel: any Channel
    var port: Int { channel.localAddress?.port ?? 0 }

    static func start() async throws -> ResettingUpstream {
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { channel in channel.pipeline.addHandler(ResetHandler()) }
            .bind(host: "127.0.0.1", port: 0).get()
        return ResettingUpstream(channel: channel)
    }

    func stop() async { try? await channel.close() }
}
