import Foundation
import SQLKit
import WharfCore

/// The storage layer: every read and write Wharf makes, written once in SQLKit for SQLite and PostgreSQL.
///
/// One concern per extension file (`WharfStore+Users.swift`, `+Ledger`, `+Keys`, `+Channels`, `+Prices`,
/// `+Usage`, `+Config`). Every configuration change bumps `config_version` in the same transaction (key creation and
/// revocation bump a keys version of their own, see ``versions()``), which running
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
    /// Erased accounts, listed beside the database so a restore erases them again; nil in tests.
    public let erasureRegister: ErasureRegister?

    /// Creates a store.
    public init(
        database: WharfDatabase, secrets: SecretBox, clock: WharfClock = .system, auditAnchor: AuditAnchorFile? = nil,
        erasureRegister: ErasureRegister? = nil
    ) {
        self.database = database
        self.secrets = secrets
        self.clock = clock
        self.auditAnchor = auditAnchor
        self.erasureRegister = erasureRegister
    }

    var now: Int64 { clock.nowMillis() }

    /// Increments the configuration version (call inside the transaction that changed the configuration).
    static func bumpConfigVersion(_ db: any SQLDatabase) async throws {
        try await db.raw("UPDATE config_version SET version = version + 1 WHERE id = 1").run()
    }

    /// Increments the keys version and returns it (call inside the transaction that created or revoked a key, and
    /// stamp the key with it). The counter row stays locked until that transaction ends, so versions commit in
    /// order and a server that has seen version `n` has seen every key change up to `n`.
    static func bumpKeysVersion(_ db: any SQLDatabase) async throws -> Int64 {
        // A missing counter row fails the change: a key stamped 0 would never reach running servers.
        guard
            let row = try await db.raw("UPDATE config_version SET version = version + 1 WHERE id = 2 RETURNING version")
                .first()
        else { throw StoreError.invalid("the keys version row is missing (config_version id 2): run `wharf migrate`") }
        return try row.decode(column: "version", as: Int64.self)
    }

    /// The configuration version and the keys version, read together: servers rebuild their whole snapshot when
    /// the first changes, and load just the changed keys when only the second does.
    public func versions() async throws -> (config: Int64, keys: Int64) {
        try await database.withConnection { db in
            var config: Int64 = 0
            var keys: Int64 = 0
            for row in try await db.raw("SELECT id, version FROM config_version").all() {
                let id = try row.decode(column: "id", as: Int64.self)
                let version = try row.decode(column: "version", as: Int64.self)
                if id == 1 { config = version } else if id == 2 { keys = version }
            }
            return (config, keys)
        }
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
