import SQLKit
import WharfCore

/// A contact-form or support message.
public struct SupportMessage: Sendable, Equatable {
    public var id: String
    public var userID: String?
    public var email: String
    public var subject: String
    public var body: String
    public var status: String
    public var createdAt: Int64
}

extension WharfStore {
    /// Stores a message from the contact form.
    @discardableResult
    public func createSupportMessage(userID: String?, email: String, subject: String, body: String) async throws
        -> SupportMessage
    {
        let message = SupportMessage(
            id: WharfID.make("msg"), userID: userID, email: email, subject: subject, body: body, status: "open",
            createdAt: now)
        try await database.withConnection { db in
            try await db.raw(
                """
                INSERT INTO support_messages (id, user_id, email, subject, body, status, created_at)
                VALUES (\(bind: message.id), \(bind: userID), \(bind: email), \(bind: subject), \(bind: body), 'open',
                    \(bind: message.createdAt))
                """
            ).run()
        }
        return message
    }

    /// Messages, newest first; open ones only unless `includeClosed`.
    public func supportMessages(includeClosed: Bool = false, limit: Int = 100) async throws -> [SupportMessage] {
        try await database.withConnection { db in
            try await db.raw(
                """
                SELECT * FROM support_messages WHERE \(unsafeRaw: includeClosed ? "1 = 1" : "status = 'open'")
                ORDER BY created_at DESC, id LIMIT \(bind: limit)
                """
            ).all().map(Self.decodeSupport)
        }
    }

    static func decodeSupport(_ row: any SQLRow) throws -> SupportMessage {
        SupportMessage(
            id: try row.string("id"), userID: try row.optionalString("user_id"), email: try row.string("email"),
            subject: try row.string("subject"), body: try row.string("body"), status: try row.string("status"),
            createdAt: try row.int64("created_at"))
    }

    /// The message with this id.
    public func supportMessage(id: String) async throws -> SupportMessage? {
        try await database.withConnection { db in
            try await db.raw("SELECT * FROM support_messages WHERE id = \(bind: id)").first().map(Self.decodeSupport)
        }
    }

    /// Records a staff reply to a message (the follow-up record; the email itself goes through the outbox).
    public func addSupportReply(messageID: String, actorID: String, body: String) async throws {
        let at = now
        try await database.withConnection { db in
            try await db.raw(
                """
                INSERT INTO support_replies (id, message_id, actor_id, body, created_at)
                VALUES (\(bind: WharfID.make("rpl")), \(bind: messageID), \(bind: actorID), \(bind: body), \(bind: at))
                """
            ).run()
        }
    }

    /// Replies to a message, oldest first: (staff account id, text, time).
    public func supportReplies(messageID: String) async throws -> [(actorID: String, body: String, createdAt: Int64)] {
        try await database.withConnection { db in
            try await db.raw(
                "SELECT * FROM support_replies WHERE message_id = \(bind: messageID) ORDER BY created_at, id"
            ).all().map { (try $0.string("actor_id"), try $0.string("body"), try $0.int64("created_at")) }
        }
    }

    /// Closes a message.
    public func closeSupportMessage(id: String) async throws {
        try await database.withConnection { db in
            guard
                try await db.raw("UPDATE support_messages SET status = 'closed' WHERE id = \(bind: id) RETURNING id")
                    .first() != nil
            else { throw StoreError.notFound("message") }
        }
    }

    /// Records a cookie choice (promise P6).
    public func recordConsent(userID: String?, functional: Bool, analytics: Bool, noticeVersion: String) async throws {
        let at = now
        try await database.withConnection { db in
            try await db.raw(
                """
                INSERT INTO consents (id, user_id, functional, analytics, notice_version, created_at)
                VALUES (\(bind: WharfID.make("cns")), \(bind: userID), \(bind: functional ? 1 : 0),
                    \(bind: analytics ? 1 : 0), \(bind: noticeVersion), \(bind: at))
                """
            ).run()
        }
    }
}

/// One message of a support thread after the opening one: a staff answer, or the ticket owner's follow-up.
public struct SupportReply: Sendable, Equatable {
    public var id: String
    /// Who wrote it: a staff account, or the ticket's owner.
    public var actorID: String
    public var body: String
    public var createdAt: Int64
}

extension WharfStore {
    /// A signed-in person's tickets (support messages sent while signed in), newest first.
    public func supportTickets(userID: String, limit: Int = 100) async throws -> [SupportMessage] {
        try await database.withConnection { db in
            try await db.raw(
                """
                SELECT * FROM support_messages WHERE user_id = \(bind: userID)
                ORDER BY created_at DESC, id LIMIT \(bind: limit)
                """
            ).all().map(Self.decodeSupport)
        }
    }

    /// The thread of a message after its opening, oldest first, with each reply's id.
    public func supportThread(messageID: String) async throws -> [SupportReply] {
        try await database.withConnection { db in
            try await db.raw(
                "SELECT * FROM support_replies WHERE message_id = \(bind: messageID) ORDER BY created_at, id"
            ).all().map {
                SupportReply(
                    id: try $0.string("id"), actorID: try $0.string("actor_id"), body: try $0.string("body"),
                    createdAt: try $0.int64("created_at"))
            }
        }
    }

    /// The owner's follow-up in their own ticket's thread; the ticket opens again for the inbox.
    public func addOwnerReply(messageID: String, userID: String, body: String) async throws {
        let at = now
        try await database.transaction { db in
            guard
                try await db.raw(
                    "UPDATE support_messages SET status = 'open' WHERE id = \(bind: messageID) AND user_id = \(bind: userID) RETURNING id"
                ).first() != nil
            else { throw StoreError.notFound("ticket") }
            try await db.raw(
                """
                INSERT INTO support_replies (id, message_id, actor_id, body, created_at)
                VALUES (\(bind: WharfID.make("rpl")), \(bind: messageID), \(bind: userID), \(bind: body), \(bind: at))
                """
            ).run()
        }
    }
}
