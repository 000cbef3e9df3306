import NIOCore
import NIOTLS

/// What the conversation reads from the channel: received bytes, or the news that a TLS handshake finished.
///
/// Carrying the handshake in the same ordered stream as the bytes lets the client prove that nothing arrived
/// between the `220` reply to `STARTTLS` and the handshake (plaintext injected there would otherwise be read as
/// if it came over TLS).
enum SMTPInboundEvent: Sendable {
    /// Bytes from the server (decrypted when TLS is on).
    case bytes(ByteBuffer)
    /// The TLS handler finished its handshake; everything after this came over TLS.
    case tlsHandshakeCompleted
}

/// Turns inbound `ByteBuffer`s and the TLS handshake event into ``SMTPInboundEvent``s for the async channel.
final class SMTPInboundEventHandler: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = SMTPInboundEvent

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        context.fireChannelRead(wrapInboundOut(.bytes(unwrapInboundIn(data))))
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case .handshakeCompleted = event as? TLSUserEvent {
            context.fireChannelRead(wrapInboundOut(.tlsHandshakeCompleted))
            // The async channel hands reads to its consumer on read-complete; without this the event would wait for
            // the server's next bytes, which after STARTTLS only come once the client has spoken.
            context.fireChannelReadComplete()
        }
        context.fireUserInboundEventTriggered(event)
    }
}
