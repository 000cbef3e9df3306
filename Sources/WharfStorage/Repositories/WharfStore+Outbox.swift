import Foundation
import SQLKit
import WharfCore

/// A message waiting in the outbox, opened.
public struct OutboxMessage: Sendable, Equatable {
    public var id: String
    public var kind: String
    public var recipient: String
    /// The rendered message (RFC 5322 text).
    public var message: String
    public var attempts: Int64
}

extension WharfStore {
    /// Queues an email. Recipient and message are sealed with the master key (they hold personal data and, for
    /// confirmation and reset mail, a one-time link) and erased once the relay accepted the message.
    @discardableResult
    public func enqueueMail(userID: String?, kind: String, recipient: String, message: String) async throws -> String {
        let id = WharfID.make("mail")
        let at = now
        let sealedRecipient = try secrets.seal(recipient, context: "email_outbox/\(id)/recipient")
        let sealedMessage = try secrets.seal(message, context: "email_outbox/\(id)/message")
        try await database.withConnection { db in
            try await db.raw(
                """
                INSERT INTO email_outbox (id, user_id, kind, recipient_ciphertext, message_ciphertext, status, attempts,
                    next_attempt_at, created_at)
                VALUES (\(bind: id), \(bind: userID), \(bind: kind), \(bind: sealedRecipient), \(bind: sealedMessage),
                    'pending', 0, \(bind: at), \(bind: at))
                """
            ).run()
        }
        return id
    }

    /// Pending messages whose next attempt is due, oldest first.
    public func dueMail(limit: Int = 20) async throws -> [OutboxMessage] {
        let at = now
        let rows = try await database.withConnection { db in
            try await db.raw(
                """
                SELECT id, kind, recipient_ciphertext, message_ciphertext, attempts FROM email_outbox
                WHERE status = 'pending' AND next_attempt_at <= \(bind: at) ORDER BY next_attempt_at, id
                LIMIT \(bind: limit)
                """
            ).all()
        }
        return try rows.map { row in
            let id = try row.string("id")
            return OutboxMessage(
                id: id, kind: try row.string("kind"),
                recipient: try secrets.open(
                    try row.string("recipient_ciphertext"), context: "email_outbox/\(id)/recipient"),
                message: try secrets.open(try row.string("message_ciphertext"), context: "email_outbox/\(id)/message"),
                attempts: try row.int64("attempts"))
        }
    }

    /// Marks a message delivered to the relay and erases its recipient and content.
    public func markMailSent(id: String) async throws {
        let at = now
        try await database.withConnection { db in
            try await db.raw(
                """
                UPDATE email_outbox SET status = 'sent', sent_at = \(bind: at), attempts = attempts + 1,
                    recipient_ciphertext = NULL, message_ciphertext = NULL, last_error = NULL
                WHERE id = \(bind: id)
                """
            ).run()
        }
    }

    /// Records a failed attempt. A permanent failure, or the last allowed attempt, ends the message (its content is
    /// erased); otherwise it is retried at `retryAt`.
    public func markMailFailed(id: String, error: String, permanent: Bool, retryAt: Int64, maxAttempts: Int64)
        async throws
    {
        try await database.withConnection { db in
            try await db.raw(
                """
                UPDATE email_outbox SET attempts = attempts + 1, last_error = \(bind: String(error.prefix(200))),
                    next_attempt_at = \(bind: retryAt),
                    status = CASE WHEN \(bind: permanent ? 1 : 0) = 1 OR attempts + 1 >= \(bind: maxAttempts)
                        THEN 'failed' ELSE 'pending' END
                WHERE id = \(bind: id)
                """
            ).run()
            try await db.raw(
                """
                UPDATE email_outbox SET recipient_ciphertext = NULL, message_ciphertext = NULL
                WHERE id = \(bind: id) AND status = 'failed'
                """
            ).run()
        }
    }

    /// Counts of outbox messages by status.
    public func outboxCounts() async throws -> [String: Int64] {
        try await database.withConnection { db in
            var out: [String: Int64] = [:]
            for row in try await db.raw("SELECT status, COUNT(*) AS n FROM email_outbox GROUP BY status").all() {
                out[try row.string("status")] = try row.int64("n")
            }
            return out
        }
    }
}
