import SQLKit
import WharfCore

/// An account as stored.
public struct UserRecord: Sendable, Equatable {
    public var id: String
    public var email: String
    public var username: String
    public var phone: String?
    public var passwordHash: String
    public var role: Role
    public var status: AccountStatus
    public var createdAt: Int64
    /// When the email was confirmed (nil: not yet).
    public var emailVerifiedAt: Int64? = nil
    /// Preferred language tag (`en`, `zh-CN`), if chosen.
    public var language: String? = nil
    /// Consecutive failed sign-ins.
    public var failedLogins: Int64 = 0
    /// End of a sign-in lockout.
    public var lockedUntil: Int64? = nil
    /// Last successful sign-in.
    public var lastLoginAt: Int64? = nil
    /// Whether a new sign-in is announced by email.
    public var notifyLogin: Bool = true
    /// Accepted policy version.
    public var policyVersion: String? = nil
    /// Whether sign-in asks for a one-time code.
    public var twoFactorEnabled: Bool = false
    /// The linked Telegram account id.
    public var telegramID: String? = nil
    /// A new email address waiting for confirmation.
    public var pendingEmail: String? = nil
}

/// What sign-up records beyond the account itself (promises P1, P13).
public struct SignUpRecord: Sendable {
    public var ageConfirmed: Bool
    public var policyVersion: String
    public var language: String?
    public var emailVerified: Bool

    /// Creates the record.
    public init(ageConfirmed: Bool, policyVersion: String, language: String?, emailVerified: Bool) {
        self.ageConfirmed = ageConfirmed
        self.policyVersion = policyVersion
        self.language = language
        self.emailVerified = emailVerified
    }
}

extension WharfStore {
    /// Creates an account with an empty wallet. The email and username are unique case-insensitively.
    public func createUser(
        email: EmailAddress, username: String, passwordHash: String, role: Role, phone: String? = nil,
        signUp: SignUpRecord? = nil
    ) async throws -> UserRecord {
        let at = now
        var draft = UserRecord(
            id: WharfID.make("usr"), email: email.value, username: username, phone: phone,
            passwordHash: passwordHash, role: role, status: .active, createdAt: at)
        // Accounts made by the operator (CLI, setup) count as confirmed; sign-ups say so themselves.
        draft.emailVerifiedAt = (signUp?.emailVerified ?? true) ? at : nil
        draft.language = signUp?.language
        draft.policyVersion = signUp?.policyVersion
        let ageAt: Int64? = signUp?.ageConfirmed == true ? at : nil
        let policyAt: Int64? = signUp == nil ? nil : at
        let record = draft
        let currency = "USD"
        try await database.transaction { db in
            let taken = try await db.raw(
                "SELECT id FROM users WHERE email_normalized = \(bind: email.normalized) OR username_normalized = \(bind: username.lowercased())"
            ).all()
            guard taken.isEmpty else { throw StoreError.duplicate("an account with this email or username") }
            try await db.raw(
                """
                INSERT INTO users (id, email, email_normalized, username, username_normalized, phone, password_hash,
                    role, status, created_at, updated_at, email_verified_at, age_confirmed_at, policy_version,
                    policy_accepted_at, language)
                VALUES (\(bind: record.id), \(bind: record.email), \(bind: email.normalized), \(bind: username),
                    \(bind: username.lowercased()), \(bind: phone), \(bind: passwordHash), \(bind: role.rawValue),
                    \(bind: record.status.rawValue), \(bind: record.createdAt), \(bind: record.createdAt),
                    \(bind: record.emailVerifiedAt), \(bind: ageAt), \(bind: record.policyVersion), \(bind: policyAt),
                    \(bind: record.language))
                """
            ).run()
            try await db.raw(
                "INSERT INTO wallets (user_id, balance, currency, updated_at) VALUES (\(bind: record.id), 0, \(bind: currency), \(bind: record.createdAt))"
            ).run()
            try await Self.bumpConfigVersion(db)
        }
        return record
    }

    /// The account with this email (case-insensitive), if any.
    public func user(email: String) async throws -> UserRecord? {
        let normalized = email.trimmingCharacters(in: .whitespaces).lowercased()
        return try await database.withConnection { db in
            try await db.raw("SELECT * FROM users WHERE email_normalized = \(bind: normalized)").first()
                .map(Self.decodeUser)
        }
    }

    /// The account with this id, if any.
    public func user(id: String) async throws -> UserRecord? {
        try await database.withConnection { db in
            try await db.raw("SELECT * FROM users WHERE id = \(bind: id)").first().map(Self.decodeUser)
        }
    }

    /// Whether any account has the admin or root role.
    public func hasAdmin() async throws -> Bool {
        try await database.withConnection { db in
            try await db.raw("SELECT id FROM users WHERE role IN ('admin', 'root') LIMIT 1").first() != nil
        }
    }

    /// A free username derived from `base` (letters, digits, `_`, `-`, `.`), adding a number when taken.
    public func availableUsername(from base: String) async throws -> String {
        var cleaned = String(
            base.filter { $0.isASCII && ($0.isLetter || $0.isNumber || "_-.".contains($0)) }.prefix(32))
        if cleaned.isEmpty { cleaned = "user" }
        let stem = cleaned
        return try await database.withConnection { db in
            var candidate = stem
            var n = 1
            while try await db.raw("SELECT id FROM users WHERE username_normalized = \(bind: candidate.lowercased())")
                .first() != nil
            {
                n += 1
                candidate = "\(stem)\(n)"
            }
            return candidate
        }
    }

    static func decodeUser(_ row: any SQLRow) throws -> UserRecord {
        var user = UserRecord(
            id: try row.string("id"), email: try row.string("email"), username: try row.string("username"),
            phone: try row.optionalString("phone"), passwordHash: try row.string("password_hash"),
            role: Role(rawValue: try row.string("role")) ?? .user,
            status: AccountStatus(rawValue: try row.string("status")) ?? .disabled,
            createdAt: try row.int64("created_at"))
        user.emailVerifiedAt = try row.optionalInt64("email_verified_at")
        user.language = try row.optionalString("language")
        user.failedLogins = try row.int64("failed_logins")
        user.lockedUntil = try row.optionalInt64("locked_until")
        user.lastLoginAt = try row.optionalInt64("last_login_at")
        user.notifyLogin = try row.int64("notify_login") != 0
        user.policyVersion = try row.optionalString("policy_version")
        user.twoFactorEnabled = try row.optionalInt64("totp_enabled_at") != nil
        user.telegramID = try row.optionalString("telegram_id")
        user.pendingEmail = try row.optionalString("pending_email")
        return user
    }
}
