import Logging
import NIOCore
import NIOPosix
import NIOSSL
import Synchronization

/// Sends mail through one SMTP server, one connection per message.
///
/// ```swift
/// let client = SMTPClient(settings: settings, logger: logger)
/// try await client.send(message)   // throws SMTPError; check `isPermanent` before retrying
/// ```
public struct SMTPClient: Sendable {
    /// Where and how mail is delivered.
    public let settings: SMTPSettings
    private let eventLoopGroup: any EventLoopGroup
    private let logger: Logger

    /// Creates a client; nothing is connected until ``send(_:)``.
    public init(
        settings: SMTPSettings,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger
    ) {
        self.settings = settings
        self.eventLoopGroup = eventLoopGroup
        self.logger = logger
    }

    /// Delivers `message`: connect, read the 220 greeting, `EHLO` (falling back to `HELO`), `STARTTLS` when
    /// ``SMTPSettings/security`` is ``SMTPSecurity/startTLS`` (required: fails with ``SMTPError/Kind/tls`` if the
    /// server does not offer it, so credentials are never sent in clear), `EHLO` again, `AUTH PLAIN` (or
    /// `AUTH LOGIN` if only that is offered) when a username is set — refused on an unencrypted connection unless
    /// the host is loopback —, `MAIL FROM`, `RCPT TO`, `DATA` (dot-stuffed, ended by `CRLF.CRLF`), `QUIT`.
    ///
    /// The whole conversation is limited to ``SMTPSettings/timeoutMillis``. Once the server has accepted the data
    /// the send counts as done, even if `QUIT` then fails or times out.
    public func send(_ message: MailMessage) async throws(SMTPError) {
        var tlsContext: NIOSSLContext?
        if settings.security != .none { tlsContext = try SMTPTLS.makeContext(settings: settings) }
        let delivered = DeliveryFlag()
        var logger = self.logger
        logger[metadataKey: "smtp.host"] = "\(settings.host):\(settings.port)"
        logger.debug("smtp send started", metadata: ["smtp.security": "\(settings.security.rawValue)"])
        do {
            try await withThrowingTaskGroup(of: Void.self) { [tlsContext] group in
                group.addTask { [self, logger] in
                    try await converse(message, tlsContext: tlsContext, delivered: delivered, logger: logger)
                }
                group.addTask {
                    try await Task.sleep(for: .milliseconds(settings.timeoutMillis))
                    throw SMTPError(.timeout, detail: "no answer within \(settings.timeoutMillis) ms")
                }
                defer { group.cancelAll() }
                _ = try await group.next()
            }
        } catch {
            if delivered.isSet {
                logger.debug("smtp send done; the error after the data was accepted is ignored")
                return
            }
            let smtpError = SMTPError.classifying(error)
            logger.debug("smtp send failed", metadata: ["smtp.error": "\(smtpError)"])
            throw smtpError
        }
        logger.debug("smtp send done")
    }

    private func converse(
        _ message: MailMessage,
        tlsContext: NIOSSLContext?,
        delivered: DeliveryFlag,
        logger: Logger
    ) async throws(SMTPError) {
        let settings = self.settings
        let channel: NIOAsyncChannel<SMTPInboundEvent, ByteBuffer>
        do {
            channel = try await ClientBootstrap(group: eventLoopGroup)
                .connectTimeout(.milliseconds(settings.timeoutMillis))
                .connect(host: settings.host, port: settings.port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        if settings.security == .tls, let tlsContext {
                            let tls = try NIOSSLClientHandler(
                                context: tlsContext,
                                serverHostname: SMTPTLS.serverHostname(for: settings.host)
                            )
                            try channel.pipeline.syncOperations.addHandler(tls)
                        }
                        try channel.pipeline.syncOperations.addHandler(SMTPInboundEventHandler())
                        return try NIOAsyncChannel<SMTPInboundEvent, ByteBuffer>(wrappingChannelSynchronously: channel)
                    }
                }
        } catch {
            throw SMTPError.classifying(error, command: "connect")
        }
        do {
            try await channel.executeThenClose { inbound, outbound in
                var conversation = SMTPConversation(
                    connection: SMTPConnection(
                        inbound: inbound,
                        outbound: outbound,
                        channel: channel.channel,
                        logger: logger
                    ),
                    settings: settings,
                    tlsContext: tlsContext
                )
                try await conversation.run(message) { delivered.set() }
            }
        } catch {
            throw SMTPError.classifying(error)
        }
    }
}

/// Set once the server accepted the mail data; read after the conversation ends or times out.
private final class DeliveryFlag: Sendable {
    private let value = Mutex(false)

    func set() { value.withLock { $0 = true } }

    var isSet: Bool { value.withLock { $0 } }
}
