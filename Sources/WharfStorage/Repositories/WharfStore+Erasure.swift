import SQLKit
import WharfCore

/// What an erasure did, for the operator's output and the tests.
public struct ErasureReport: Sendable, Equatable {
    /// The account's id, which stays as the pseudonymous id of its payment records.
    public var userID: String
    public var keysRevoked: Int
    public var sessionsEnded: Int
    /// Support messages (with their replies) the person wrote, removed.
    public var supportMessagesRemoved: Int
}

extension WharfStore {
    /// Erases an account at once (promise P5): keys revoked, sessions ended, sign-in links and tokens gone, email,
    /// username, phone, Telegram link, password and two-factor secret removed, addresses cut from usage records and
    /// payment callbacks, support messages deleted. The ledger, orders, usage metering and audit rows stay under the
    /// account's random id, which no longer leads to a person; the email may sign up again. The rest (revoked keys,
    /// consents) goes after the erased-account grace (``runRetention(schedule:nowMillis:dryRun:progress:)``).
    ///
    /// On SQLite, `secure_delete` zeroes what was overwritten, and the WAL is checkpointed and truncated afterwards,
    /// so the erased email is nowhere in the data directory. On PostgreSQL, the old row versions stay in the table
    /// files as dead tuples until VACUUM reclaims them (autovacuum, usually within minutes; `VACUUM` at once), and in
    /// WAL segments until they are recycled after the next checkpoints (and in WAL archives for as long as those are
    /// kept).
    public func eraseAccount(userID: String) async throws -> ErasureReport {
        let at = now
        // Registered first: applying an erasure again is harmless, missing one after a restore is not.
        if try await user(id: userID)?.status != .erased {
            try erasureRegister?.append(userID: userID, atMillis: at)
        }
        let report = try await database.transaction { db in
            guard
                let row = try await db.raw(
                    "SELECT email_normalized, status, email_verified_at FROM users WHERE id = \(bind: userID)"
                ).first()
            else { throw StoreError.notFound("account") }
            guard try row.string("status") != AccountStatus.erased.rawValue else {
                throw StoreError.invalid("the account is already erased")
            }
            // Messages sent before signing in are the account's only when its address was confirmed.
            let email = try row.optionalInt64("email_verified_at") == nil ? "" : try row.string("email_normalized")
            let tombstone = "erased-\(userID)"
            try await db.raw(
                """
                UPDATE users SET email = \(bind: tombstone + "@erased.invalid"),
                    email_normalized = \(bind: tombstone + "@erased.invalid"), username = \(bind: tombstone),
                    username_normalized = \(bind: tombstone), phone = NULL, password_hash = '!erased',
                    status = 'erased', role = 'user', deleted_at = \(bind: at), updated_at = \(bind: at), last_login_at = NULL,
                    totp_secret_ciphertext = NULL, totp_enabled_at = NULL, telegram_id = NULL, pending_email = NULL,
                    failed_logins = 0, locked_until = NULL
                WHERE id = \(bind: userID)
                """
            ).run()
            let version = try await Self.bumpKeysVersion(db)
            let keys = try await db.raw(
                """
                UPDATE api_keys SET status = 'revoked', revoked_at = \(bind: at), changed_version = \(bind: version)
                WHERE user_id = \(bind: userID) AND status = 'active' RETURNING id
                """
            ).all().count
            let sessions = try await db.raw("DELETE FROM persist WHERE owner = \(bind: userID) RETURNING key").all()
                .count
            try await db.raw("DELETE FROM one_time_tokens WHERE user_id = \(bind: userID)").run()
            try await db.raw("DELETE FROM backup_codes WHERE user_id = \(bind: userID)").run()
            try await db.raw("DELETE FROM email_outbox WHERE user_id = \(bind: userID)").run()
            let theirs: SQLQueryString =
                "SELECT id FROM support_messages WHERE user_id = \(bind: userID) OR LOWER(email) = \(bind: email)"
            try await db.raw("DELETE FROM support_replies WHERE message_id IN (\(theirs))").run()
            let messages = try await db.raw(
                "DELETE FROM support_messages WHERE user_id = \(bind: userID) OR LOWER(email) = \(bind: email) RETURNING id"
            ).all().count
            try await db.raw("UPDATE usage_records SET client_ip = NULL WHERE user_id = \(bind: userID)").run()
            try await db.raw(
                """
                UPDATE payment_events SET client_ip = NULL
                WHERE order_id IN (SELECT id FROM payment_orders WHERE user_id = \(bind: userID))
                """
            ).run()
            try await Self.bumpConfigVersion(db)
            return ErasureReport(
                userID: userID, keysRevoked: keys, sessionsEnded: sessions, supportMessagesRemoved: messages)
        }
        try await audit(actorID: nil, action: "account.erase", target: userID)
        try await flushDeletedContent()
        return report
    }

    /// After a restore: erases again every account in `ids` (the erasure register) that the restored data still
    /// holds unerased. Returns the accounts erased.
    public func reapplyErasures(_ ids: [String]) async throws -> [String] {
        var erased: [String] = []
        for id in ids {
            guard let user = try await user(id: id), user.status != .erased else { continue }
            _ = try await eraseAccount(userID: id)
            erased.append(id)
        }
        return erased
    }

    /// Makes deleted content leave the disk now: on SQLite, checkpoints the WAL into the database file (where
    /// `secure_delete` zeroed it) and truncates the WAL. Nothing to do on PostgreSQL (see ``eraseAccount(userID:)``).
    public func flushDeletedContent() async throws {
        guard database.dialect == .sqlite else { return }
        try await database.withConnection { db in
            try await db.raw("PRAGMA wal_checkpoint(TRUNCATE)").run()
        }
    }
}

extension WharfStore {
    /// Restriction (promise P5): a frozen account keeps everything and may sign in, but every key is refused until
    /// the owner unfreezes it. Only an active account freezes and only a frozen one unfreezes; returns whether the
    /// status changed. Servers drop or reload the account's keys within their reload interval.
    @discardableResult
    public func setFrozen(userID: String, _ frozen: Bool) async throws -> Bool {
        let at = now
        let (from, to) = frozen ? (AccountStatus.active, AccountStatus.frozen) : (.frozen, .active)
        return try await database.transaction { db in
            let changed = try await db.raw(
                """
                UPDATE users SET status = \(bind: to.rawValue), updated_at = \(bind: at)
                WHERE id = \(bind: userID) AND status = \(bind: from.rawValue) RETURNING id
                """
            ).all().count
            if changed > 0 { try await Self.bumpConfigVersion(db) }
            return changed > 0
        }
    }
}

extension WharfStore {
    /// Rectification (promise P5): the owner corrects the username and phone number. The username stays unique
    /// (case-insensitive); returns false when another account has it.
    public func setProfile(userID: String, username: String, phone: String?) async throws -> Bool {
        let at = now
        let normalized = username.lowercased()
        return try await database.transaction { db in
            if try await db.raw(
                "SELECT id FROM users WHERE username_normalized = \(bind: normalized) AND id <> \(bind: userID)"
            ).first() != nil {
                return false
            }
            try await db.raw(
                """
                UPDATE users SET username = \(bind: username), username_normalized = \(bind: normalized),
                    phone = \(bind: phone), updated_at = \(bind: at)
                WHERE id = \(bind: userID)
                """
            ).run()
            return true
        }
    }
}

extension WharfStore {
    /// Records that the account accepted policy `version` now (its acceptance time is kept with it).
    public func acceptPolicy(userID: String, version: String) async throws {
        let at = now
        try await database.withConnection { db in
            try await db.raw(
                """
                UPDATE users SET policy_version = \(bind: version), policy_accepted_at = \(bind: at), updated_at = \(bind: at)
                WHERE id = \(bind: userID)
                """
            ).run()
        }
    }
}
