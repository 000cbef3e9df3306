import SQLKit
import WharfCore

/// What an emailed one-time link is for.
public enum OneTimePurpose: String, Sendable {
    case verifyEmail = "verify_email"
    case resetPassword = "reset_password"
    /// The second step of a sign-in with two-factor authentication (the password was right).
    case signInChallenge = "sign_in_challenge"
    /// Confirmation of a new email address.
    case changeEmail = "change_email"
}

extension WharfStore {
    /// Stores the hash of a new one-time token. Earlier unused tokens of the same purpose stop working, so only
    /// the newest link in the user's mailbox is good.
    ///
    /// `boundTo` ties the token to what it was mailed for (an email change's new address); see
    /// ``consumeBoundToken(hash:purpose:)``.
    public func issueOneTimeToken(
        hash: String, userID: String, purpose: OneTimePurpose, ttlMillis: Int64, boundTo: String? = nil
    ) async throws {
        let at = now
        try await database.transaction { db in
            try await db.raw(
                """
                UPDATE one_time_tokens SET used_at = \(bind: at)
                WHERE user_id = \(bind: userID) AND purpose = \(bind: purpose.rawValue) AND used_at IS NULL
                """
            ).run()
            try await db.raw(
                """
                INSERT INTO one_time_tokens (id, user_id, purpose, created_at, expires_at, bound_to)
                VALUES (\(bind: hash), \(bind: userID), \(bind: purpose.rawValue), \(bind: at), \(bind: at + ttlMillis),
                    \(bind: boundTo))
                """
            ).run()
        }
    }

    /// Ends every unused one-time link of the account and forgets a pending email change: called when the password
    /// changes or is reset and when an email change completes, so a link mailed before cannot be used after.
    public func invalidateOneTimeTokens(userID: String) async throws {
        let at = now
        try await database.transaction { db in
            try await db.raw(
                "UPDATE one_time_tokens SET used_at = \(bind: at) WHERE user_id = \(bind: userID) AND used_at IS NULL"
            ).run()
            try await db.raw("UPDATE users SET pending_email = NULL WHERE id = \(bind: userID)").run()
        }
    }

    /// Uses a one-time token like ``consumeOneTimeToken(hash:purpose:)``, returning its account and what it was
    /// bound to when issued.
    public func consumeBoundToken(hash: String, purpose: OneTimePurpose) async throws -> (
        userID: String, boundTo: String?
    )? {
        let at = now
        return try await database.withConnection { db in
            try await db.raw(
                """
                UPDATE one_time_tokens SET used_at = \(bind: at)
                WHERE id = \(bind: hash) AND purpose = \(bind: purpose.rawValue) AND used_at IS NULL
                    AND expires_at > \(bind: at)
                RETURNING user_id, bound_to
                """
            ).first().map { (try $0.string("user_id"), try $0.optionalString("bound_to")) }
        }
    }

    /// Uses a one-time token: returns its account when the token exists for `purpose`, has not expired and was not
    /// used, and marks it used in the same statement (so two concurrent uses cannot both succeed).
    public func consumeOneTimeToken(hash: String, purpose: OneTimePurpose) async throws -> String? {
        try await consumeBoundToken(hash: hash, purpose: purpose)?.userID
    }
}
