import SQLKit
import WharfCore

extension WharfStore {
    static func totpContext(_ userID: String) -> String { "users/\(userID)/totp" }

    /// Stores a new two-factor secret (sealed) that is not yet in force: sign-in asks for codes only after
    /// ``enableTwoFactor(userID:backupCodeHashes:)``.
    public func stageTwoFactorSecret(userID: String, secret: String) async throws {
        let sealed = try secrets.seal(secret, context: Self.totpContext(userID))
        try await database.withConnection { db in
            try await db.raw(
                """
                UPDATE users SET totp_secret_ciphertext = \(bind: sealed), totp_enabled_at = NULL, totp_last_step = NULL
                WHERE id = \(bind: userID)
                """
            ).run()
        }
    }

    /// The account's two-factor secret, opened (staged or in force).
    public func twoFactorSecret(userID: String) async throws -> String? {
        let sealed = try await database.withConnection { db in
            try await db.raw("SELECT totp_secret_ciphertext FROM users WHERE id = \(bind: userID)").first()?
                .optionalString("totp_secret_ciphertext")
        }
        return try sealed.map { try secrets.open($0, context: Self.totpContext(userID)) }
    }

    /// Puts the staged secret in force and replaces the backup codes (stored as SHA-256 only).
    public func enableTwoFactor(userID: String, backupCodeHashes: [String]) async throws {
        let at = now
        try await database.transaction { db in
            try await db.raw("UPDATE users SET totp_enabled_at = \(bind: at) WHERE id = \(bind: userID)").run()
            try await db.raw("DELETE FROM backup_codes WHERE user_id = \(bind: userID)").run()
            for hash in backupCodeHashes {
                try await db.raw(
                    "INSERT INTO backup_codes (id, user_id, created_at) VALUES (\(bind: hash), \(bind: userID), \(bind: at))"
                ).run()
            }
        }
    }

    /// Turns two-factor sign-in off and forgets the secret and backup codes.
    public func disableTwoFactor(userID: String) async throws {
        try await database.transaction { db in
            try await db.raw(
                """
                UPDATE users SET totp_secret_ciphertext = NULL, totp_enabled_at = NULL, totp_last_step = NULL
                WHERE id = \(bind: userID)
                """
            ).run()
            try await db.raw("DELETE FROM backup_codes WHERE user_id = \(bind: userID)").run()
        }
    }

    /// Accepts a code's time step only if it is later than the last accepted one, so a code cannot be used twice.
    public func acceptTwoFactorStep(userID: String, step: Int64) async throws -> Bool {
        try await database.withConnection { db in
            try await !db.raw(
                """
                UPDATE users SET totp_last_step = \(bind: step)
                WHERE id = \(bind: userID) AND (totp_last_step IS NULL OR totp_last_step < \(bind: step)) RETURNING id
                """
            ).all().isEmpty
        }
    }

    /// Uses a backup code (by its hash): true once, false after.
    public func useBackupCode(userID: String, hash: String) async throws -> Bool {
        let at = now
        return try await database.withConnection { db in
            try await !db.raw(
                """
                UPDATE backup_codes SET used_at = \(bind: at)
                WHERE id = \(bind: hash) AND user_id = \(bind: userID) AND used_at IS NULL RETURNING id
                """
            ).all().isEmpty
        }
    }

    /// Unused backup codes left.
    public func backupCodesLeft(userID: String) async throws -> Int64 {
        try await database.withConnection { db in
            try await db.raw(
                "SELECT COUNT(*) AS n FROM backup_codes WHERE user_id = \(bind: userID) AND used_at IS NULL"
            ).first()?.int64("n") ?? 0
        }
    }

    /// Records a login proof (e.g. a Telegram hash); false when it was seen before. Proofs older than a day are
    /// forgotten (they are refused as too old anyway).
    public func firstSightOfLoginProof(_ id: String) async throws -> Bool {
        let at = now
        return try await database.withConnection { db in
            try await db.raw("DELETE FROM seen_login_proofs WHERE created_at < \(bind: at - 86_400_000)").run()
            let seen = try await db.raw("SELECT id FROM seen_login_proofs WHERE id = \(bind: id)").first()
            guard seen == nil else { return false }
            do {
                try await db.raw("INSERT INTO seen_login_proofs (id, created_at) VALUES (\(bind: id), \(bind: at))")
                    .run()
            } catch {
                return false
            }
            return true
        }
    }

    /// Links (or, with nil, unlinks) a Telegram account. A Telegram account links to one Wharf account only.
    public func setTelegramID(userID: String, telegramID: String?) async throws {
        try await database.transaction { db in
            if let telegramID {
                let other = try await db.raw(
                    "SELECT id FROM users WHERE telegram_id = \(bind: telegramID) AND id <> \(bind: userID)"
                ).first()
                guard other == nil else { throw StoreError.duplicate("a link to this Telegram account") }
            }
            try await db.raw("UPDATE users SET telegram_id = \(bind: telegramID) WHERE id = \(bind: userID)").run()
        }
    }

    /// The account linked to a Telegram id.
    public func user(telegramID: String) async throws -> UserRecord? {
        try await database.withConnection { db in
            try await db.raw("SELECT * FROM users WHERE telegram_id = \(bind: telegramID)").first().map(Self.decodeUser)
        }
    }

    /// Remembers a new email address until the link sent to it is opened.
    public func setPendingEmail(userID: String, email: EmailAddress?) async throws {
        try await database.withConnection { db in
            try await db.raw("UPDATE users SET pending_email = \(bind: email?.value) WHERE id = \(bind: userID)").run()
        }
    }

    /// Makes the pending email the account's email (after its confirmation link was opened). Fails when another
    /// account took the address meanwhile.
    ///
    /// `mailedTo` is the address the confirmation link was sent to: the change completes only while that address is
    /// still the pending one, so a link mailed for one address never confirms another requested later.
    public func confirmPendingEmail(userID: String, mailedTo: String) async throws -> String? {
        let at = now
        return try await database.transaction { db in
            guard
                let pending = try await db.raw("SELECT pending_email FROM users WHERE id = \(bind: userID)").first()?
                    .optionalString("pending_email"), let email = EmailAddress(pending),
                let mailed = EmailAddress(mailedTo), mailed.normalized == email.normalized
            else { return nil }
            let taken = try await db.raw(
                "SELECT id FROM users WHERE email_normalized = \(bind: email.normalized) AND id <> \(bind: userID)"
            ).first()
            guard taken == nil else { throw StoreError.duplicate("an account with this email") }
            try await db.raw(
                """
                UPDATE users SET email = \(bind: email.value), email_normalized = \(bind: email.normalized),
                    pending_email = NULL, email_verified_at = \(bind: at), updated_at = \(bind: at)
                WHERE id = \(bind: userID)
                """
            ).run()
            return email.value
        }
    }
}
