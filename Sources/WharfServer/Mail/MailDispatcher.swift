import Foundation
import Logging
import ServiceLifecycle
import WharfCore
import WharfMail
import WharfStorage

/// Delivers the email outbox over SMTP: every second it sends the messages that are due, marks each sent (which
/// erases its sealed recipient and content) or failed. A transient failure (4xx, connection, timeout) is retried
/// with exponential back-off, 30 s doubling up to an hour, at most ``maxAttempts`` times; a permanent one (5xx,
/// TLS, authentication) ends the message at once. Logs name the message kind and the reduced SMTP error only —
/// never the recipient or the text.
public final class MailDispatcher: Service, Sendable {
    let store: WharfStore
    let client: SMTPClient
    let from: MailAddress
    let intervalMillis: Int64
    let logger: Logger
    /// Delivery attempts before a message is given up.
    public static let maxAttempts: Int64 = 8

    /// Creates a dispatcher for the configured relay; nil when no SMTP host is configured.
    public static func make(config: WharfConfig, store: WharfStore, logger: Logger) throws(ConfigError)
        -> MailDispatcher?
    {
        guard let host = config.smtpHost else { return nil }
        let security = SMTPSecurity(rawValue: config.smtpSecurity) ?? .startTLS
        let settings = SMTPSettings(
            host: host, port: config.smtpPort, security: security, username: config.smtpUsername,
            password: config.smtpPassword, heloName: URL(string: config.effectivePublicURL)?.host ?? "localhost",
            caCertificatePEMPath: config.smtpCAFile)
        let from: MailAddress
        do { from = try Self.parseFrom(config.smtpFrom) } catch {
            throw .invalid("smtp_from", config.smtpFrom, "an address such as Wharf <no-reply@example.com>")
        }
        return MailDispatcher(
            store: store, client: SMTPClient(settings: settings, logger: logger), from: from, intervalMillis: 1000,
            logger: logger)
    }

    /// Creates a dispatcher.
    public init(store: WharfStore, client: SMTPClient, from: MailAddress, intervalMillis: Int64, logger: Logger) {
        self.store = store
        self.client = client
        self.from = from
        self.intervalMillis = intervalMillis
        self.logger = logger
    }

    /// `Name <address>` or a bare address.
    static func parseFrom(_ text: String) throws(MailError) -> MailAddress {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if let open = trimmed.lastIndex(of: "<"), trimmed.hasSuffix(">") {
            let name = trimmed[..<open].trimmingCharacters(in: .whitespaces).trimmingCharacters(in: ["\""])
            let address = String(trimmed[trimmed.index(after: open)..<trimmed.index(before: trimmed.endIndex)])
            return try MailAddress(address, displayName: name.isEmpty ? nil : name)
        }
        return try MailAddress(trimmed)
    }

    public func run() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            _ = await deliverDue()
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .milliseconds(self.intervalMillis)) }
        }
    }

    /// Sends every due message once; returns how many were accepted by the relay.
    @discardableResult
    public func deliverDue() async -> Int {
        let due: [OutboxMessage]
        do { due = try await store.dueMail(limit: 20) } catch {
            logger.error("outbox read failed", metadata: ["error": "\(type(of: error))"])
            return 0
        }
        var sent = 0
        for item in due {
            do {
                try await deliver(item)
                try await store.markMailSent(id: item.id)
                sent += 1
            } catch let error as SMTPError {
                let backoff: Int64 = min(3_600_000, Int64(30_000) << min(item.attempts, 7))
                logger.warning(
                    "mail delivery failed", metadata: ["kind": "\(item.kind)", "error": "\(error.description)"])
                try? await store.markMailFailed(
                    id: item.id, error: error.description, permanent: error.isPermanent,
                    retryAt: store.clock.nowMillis() + backoff, maxAttempts: Self.maxAttempts)
            } catch {
                // Not deliverable as stored (an address or message the mail library refuses): give up on it.
                logger.warning(
                    "mail not deliverable", metadata: ["kind": "\(item.kind)", "error": "\(type(of: error))"])
                try? await store.markMailFailed(
                    id: item.id, error: "undeliverable: \(type(of: error))", permanent: true, retryAt: 0,
                    maxAttempts: Self.maxAttempts)
            }
        }
        return sent
    }

    func deliver(_ item: OutboxMessage) async throws {
        guard let mail = QueuedMail.decode(item.message) else { throw MailError.invalidAddress(reason: "unreadable") }
        let message = MailMessage(
            from: from, to: try MailAddress(item.recipient), subject: mail.subject, textBody: mail.text)
        try await client.send(message)
    }
}
