import SQLKit
import WharfCore

/// A console sign-in as stored. The cookie's secret is never stored: `id` is its SHA-256.
public struct WebSessionRecord: Sendable, Equatable {
    public var id: String
    public var userID: String
    public var createdAt: Int64
    public var lastSeenAt: Int64
    public var expiresAt: Int64
    /// Browser and operating system, e.g. "Chrome on Linux".
    public var device: String
    public var clientIP: String?
}

extension WharfStore {
    /// Stores a new session for `userID` that ends at `expiresAt` at the latest.
    public func createSession(
        id: String, userID: String, expiresAt: Int64, device: String, clientIP: String?
    ) async throws -> WebSessionRecord {
        let at = now
        let record = WebSessionRecord(
            id: id, userID: userID, createdAt: at, lastSeenAt: at, expiresAt: expiresAt, device: device,
            clientIP: clientIP)
        try await database.withConnection { db in
            try await db.raw(
                """
                INSERT INTO web_sessions (id, user_id, created_at, last_seen_at, expires_at, device, client_ip)
                VALUES (\(bind: id), \(bind: userID), \(bind: at), \(bind: at), \(bind: expiresAt), \(bind: device),
                    \(bind: clientIP))
                """
            ).run()
        }
        return record
    }

    /// The live session with this id and its account: not revoked, not past its absolute end, seen within
    /// `idleMillis`, and the account active. Refreshes `last_seen_at` at most once a minute.
    public func liveSession(id: String, idleMillis: Int64) async throws -> (WebSessionRecord, UserRecord)? {
        let at = now
        return try await database.withConnection { db in
            guard
                let row = try await db.raw(
                    """
                    SELECT * FROM web_sessions WHERE id = \(bind: id) AND revoked_at IS NULL
                        AND expires_at > \(bind: at) AND last_seen_at > \(bind: at - idleMillis)
                    """
                ).first()
            else { return nil }
            let session = try Self.decodeSession(row)
            guard
                let user = try await db.raw("SELECT * FROM users WHERE id = \(bind: session.userID)").first()
                    .map(Self.decodeUser), user.status == .active
            else { return nil }
            if at - session.lastSeenAt > 60_000 {
                try await db.raw("UPDATE web_sessions SET last_seen_at = \(bind: at) WHERE id = \(bind: id)").run()
            }
            return (session, user)
        }
    }

    /// The account's live sessions, newest first.
    public func sessions(userID: String) async throws -> [WebSessionRecord] {
        let at = now
        return try await database.withConnection { db in
            try await db.raw(
                """
                SELECT * FROM web_sessions WHERE user_id = \(bind: userID) AND revoked_at IS NULL
                    AND expires_at > \(bind: at) ORDER BY created_at DESC
                """
            ).all().map(Self.decodeSession)
        }
    }

    /// Ends one of the account's sessions. Returns false when no such live session belongs to the account.
    @discardableResult
    public func revokeSession(id: String, userID: String) async throws -> Bool {
        let at = now
        return try await database.withConnection { db in
            try await !db.raw(
                """
                UPDATE web_sessions SET revoked_at = \(bind: at)
                WHERE id = \(bind: id) AND user_id = \(bind: userID) AND revoked_at IS NULL RETURNING id
                """
            ).all().isEmpty
        }
    }

    /// Ends every session of the account except `keeping`.
    public func revokeSessions(userID: String, keeping: String? = nil) async throws {
        let at = now
        try await database.withConnection { db in
            try await db.raw(
                """
                UPDATE web_sessions SET revoked_at = \(bind: at)
                WHERE user_id = \(bind: userID) AND revoked_at IS NULL AND id <> \(bind: keeping ?? "")
                """
            ).run()
        }
    }

    static func decodeSession(_ row: any SQLRow) throws -> WebSessionRecord {
        WebSessionRecord(
            id: try row.string("id"), userID: try row.string("user_id"), createdAt: try row.int64("created_at"),
            lastSeenAt: try row.int64("last_seen_at"), expiresAt: try row.int64("expires_at"),
            device: try row.string("device"), clientIP: try row.optionalString("client_ip"))
    }
}
