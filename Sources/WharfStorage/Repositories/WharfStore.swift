import Foundation
import SQLKit
import WharfCore

/// The storage layer: every read and write Wharf makes, written once in SQLKit for SQLite and PostgreSQL.
///
/// One concern per extension file (`WharfStore+Users.swift`, `+Ledger`, `+Keys`, `+Channels`, `+Prices`,
/// `+Usage`, `+Config`). Every configuration change bumps `config_version` in the same transaction, which running
/// servers poll to reload their in-memory snapshots.
public struct WharfStore: Sendable {
    /// The database.
    public let database: WharfDatabase
    /// Seals and opens secrets stored in the database.
    public let secrets: SecretBox
    /// Time source.
    public let clock: WharfClock
    /// The audit chain's head kept outside the database; nil in tests that do not need one.
    public let auditAnchor: AuditAnchorFile?

    /// Creates a store.
    public init(
        database: WharfDatabase, secrets: SecretBox, clock: WharfClock = .system, auditAnchor: AuditAnchorFile? = nil
    ) {
        self.database = database
        self.secrets = secrets
        self.clock = clock
        self.auditAnchor = auditAnchor
    }

    var now: Int64 { clock.nowMillis() }

    /// Increments the configuration version (call inside the transaction that changed the configuration).
    static func bumpConfigVersion(_ db: any SQLDatabase) async throws {
        try await db.raw("UPDATE config_version SET version = version + 1 WHERE id = 1").run()
    }

    /// The current configuration version; servers reload their snapshots when it changes.
    public func configVersion() async throws -> Int64 {
        try await database.withConnection { db in
            try await db.raw("SELECT version FROM config_version WHERE id = 1").first()?
                .decode(column: "version", as: Int64.self) ?? 0
        }
    }
}

/// Errors the store reports in terms a user can act on.
public enum StoreError: Error, Equatable, CustomStringConvertible {
    case notFound(String)
    case duplicate(String)
    case insufficientBalance
    case invalid(String)
    /// An account already has as many of something as it may (e.g. active API keys).
    case limitReached(String)

    public var description: String {
        switch self {
        case .notFound(let what): "\(what) not found"
        case .duplicate(let what): "\(what) already exists"
        case .insufficientBalance: "insufficient balance"
        case .invalid(let why): why
        case .limitReached(let what): "the limit of \(what) is reached"
        }
    }
}

extension SQLRow {
    func string(_ column: String) throws -> String { try decode(column: column, as: String.self) }
    func optionalString(_ column: String) throws -> String? { try decode(column: column, as: String?.self) }
    func int64(_ column: String) throws -> Int64 { try decode(column: column, as: Int64.self) }
    func optionalInt64(_ column: String) throws -> Int64? { try decode(column: column, as: Int64?.self) }
}

/// JSON text helpers for list and map columns.
enum JSONColumn {
    static func encode<T: Encodable>(_ value: T) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return (try? String(decoding: encoder.encode(value), as: UTF8.self)) ?? "null"
    }

    static func decode<T: Decodable>(_ type: T.Type, _ text: String) -> T? {
        try? JSONDecoder().decode(T.self, from: Data(text.utf8))
    }
}
