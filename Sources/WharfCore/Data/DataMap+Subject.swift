extension DataMap {
    /// How rows of a table are tied to the person they are about, for export (the right of access) — declared next
    /// to the data map, so a new personal column of a linked table is exported without new code.
    public enum SubjectLink: Sendable, Hashable {
        /// The column holds the account's id.
        case column(String)
        /// The column holds the id of a row of `table` whose `owner` column holds the account's id.
        case parent(column: String, table: String, owner: String)
        /// The column holds the account's current email address (any case): a message sent before signing in.
        case email(String)
        /// The column holds the id of a row of `table` whose `email` column holds the account's current address.
        case parentByEmail(column: String, table: String, email: String)
    }

    /// The links of every table that holds rows about a person. A table with a personal column and no link here
    /// fails a test.
    public static let subjectLinks: [String: [SubjectLink]] = [
        "users": [.column("id")],
        "backup_codes": [.column("user_id")],
        "wallets": [.column("user_id")],
        "ledger_entries": [.column("user_id")],
        "payment_orders": [.column("user_id")],
        "payment_events": [.parent(column: "order_id", table: "payment_orders", owner: "user_id")],
        "payment_adjustments": [
            .parent(column: "order_id", table: "payment_orders", owner: "user_id"), .column("actor_id"),
        ],
        "redemption_codes": [.column("redeemed_by"), .column("created_by")],
        "holds": [.column("user_id")],
        "api_keys": [.column("user_id")],
        "usage_records": [.column("user_id")],
        "usage_daily": [.column("user_id")],
        "persist": [.column("owner")],
        "one_time_tokens": [.column("user_id")],
        "email_outbox": [.column("user_id")],
        "support_messages": [.column("user_id"), .email("email")],
        "support_replies": [
            .parent(column: "message_id", table: "support_messages", owner: "user_id"),
            .parentByEmail(column: "message_id", table: "support_messages", email: "email"), .column("actor_id"),
        ],
        "audit_log": [.column("actor_id"), .column("target")],
        "consents": [.column("user_id")],
    ]

    /// Columns an export leaves out, each with the reason shown in the export: secrets and hashes that would help
    /// nobody but an attacker, and sealed copies of messages already sent to the person.
    public static let withheldFromExport: [String: String] = [
        "users.password_hash": "a one-way hash of your password",
        "users.totp_secret_ciphertext": "your two-factor secret, sealed; it stays in your authenticator app",
        "api_keys.key_hash": "a one-way hash of the key's secret",
        "backup_codes.id": "a one-way hash of a backup code",
        "one_time_tokens.id": "a one-way hash of an emailed link's token",
        "persist.key": "a one-way hash of the session cookie",
        "email_outbox.recipient_ciphertext": "your address, sealed until the message is sent",
        "email_outbox.message_ciphertext": "the message, sealed until it is sent to you",
        "redemption_codes.code_hash": "a one-way hash of the code",
    ]

    /// The declared table named `name`.
    public static func table(named name: String) -> Table? { tables.first { $0.name == name } }
}
