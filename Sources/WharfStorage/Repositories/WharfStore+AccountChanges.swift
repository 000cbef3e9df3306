import SQLKit
import WharfCore

extension WharfStore {
    /// Records a failed sign-in: counts it, and locks the account for `lockMillis` once `lockAfter` failures in a
    /// row are reached. Returns the lock's end when this failure locked the account.
    @discardableResult
    public func recordLoginFailure(userID: String, lockAfter: Int64, lockMillis: Int64) async throws -> Int64? {
        let at = now
        return try await database.transaction { db in
            guard
                let row = try await db.raw(
                    "UPDATE users SET failed_logins = failed_logins + 1 WHERE id = \(bind: userID) RETURNING failed_logins"
                ).first()
            else { return nil }
            let failures = try row.int64("failed_logins")
            guard failures >= lockAfter else { return nil }
            let until = at + lockMillis
            try await db.raw(
                "UPDATE users SET locked_until = \(bind: until), failed_logins = 0 WHERE id = \(bind: userID)"
            ).run()
            return until
        }
    }

    /// Records a successful sign-in: clears the failure count and lock, and stamps the time.
    public func recordLoginSuccess(userID: String) async throws {
        let at = now
        try await database.withConnection { db in
            try await db.raw(
                "UPDATE users SET failed_logins = 0, locked_until = NULL, last_login_at = \(bind: at) WHERE id = \(bind: userID)"
            ).run()
        }
    }

    /// Marks the account's email as confirmed.
    public func markEmailVerified(userID: String) async throws {
        let at = now
        try await database.withConnection { db in
            try await db.raw(
                "UPDATE users SET email_verified_at = \(bind: at), updated_at = \(bind: at) WHERE id = \(bind: userID) AND email_verified_at IS NULL"
            ).run()
        }
    }

    /// Replaces the password hash.
    public func setPasswordHash(userID: String, hash: String) async throws {
        let at = now
        try await database.withConnection { db in
            try await db.raw(
                "UPDATE users SET password_hash = \(bind: hash), updated_at = \(bind: at), failed_logins = 0, locked_until = NULL WHERE id = \(bind: userID)"
            ).run()
        }
    }

    /// Stores the preferred language and whether new sign-ins are announced by email.
    public func setPreferences(userID: String, language: String?, notifyLogin: Bool) async throws {
        let at = now
        try await database.withConnection { db in
            try await db.raw(
                "UPDATE users SET language = \(bind: language), notify_login = \(bind: notifyLogin ? 1 : 0), updated_at = \(bind: at) WHERE id = \(bind: userID)"
            ).run()
        }
    }

    /// Changes an account's role (keys follow at the next snapshot reload).
    public func setRole(userID: String, role: Role) async throws {
        let at = now
        try await database.transaction { db in
            let rows = try await db.raw(
                "UPDATE users SET role = \(bind: role.rawValue), updated_at = \(bind: at) WHERE id = \(bind: userID) RETURNING id"
            ).all()
            guard !rows.isEmpty else { throw StoreError.notFound("account") }
            try await Self.bumpConfigVersion(db)
        }
    }

    /// Enables or disables an account. A disabled account cannot sign in, its sessions end, and its keys stop
    /// working at the next snapshot reload.
    public func setStatus(userID: String, status: AccountStatus) async throws {
        let at = now
        try await database.transaction { db in
            let rows = try await db.raw(
                "UPDATE users SET status = \(bind: status.rawValue), updated_at = \(bind: at) WHERE id = \(bind: userID) AND status IN ('active', 'disabled') RETURNING id"
            ).all()
            guard !rows.isEmpty else { throw StoreError.notFound("account") }
            if status != .active {
                try await db.raw(
                    "DELETE FROM persist WHERE owner = \(bind: userID) AND key LIKE 'session:%'"
                ).run()
            }
            try await Self.bumpConfigVersion(db)
        }
    }

    /// Accounts whose email or username contains `query` (case-insensitive), newest first.
    public func searchUsers(query: String, limit: Int = 50, offset: Int = 0) async throws -> [UserRecord] {
        let pattern = "%" + Self.likeEscaped(query.lowercased()) + "%"
        return try await database.withConnection { db in
            try await db.raw(
                """
                SELECT * FROM users
                WHERE email_normalized LIKE \(bind: pattern) ESCAPE '\\' OR username_normalized LIKE \(bind: pattern) ESCAPE '\\'
                ORDER BY created_at DESC, id LIMIT \(bind: limit) OFFSET \(bind: offset)
                """
            ).all().map(Self.decodeUser)
        }
    }

    /// The account with this username (case-insensitive), if any.
    public func user(username: String) async throws -> UserRecord? {
        try await database.withConnection { db in
            try await db.raw("SELECT * FROM users WHERE username_normalized = \(bind: username.lowercased())").first()
                .map(Self.decodeUser)
        }
    }

    /// `text` with `LIKE` wildcards escaped (escape character `\`).
    static func likeEscaped(_ text: String) -> String {
        var out = ""
        for c in text {
            if c == "%" || c == "_" || c == "\\" { out.append("\\") }
            out.append(c)
        }
        return out
    }
}
