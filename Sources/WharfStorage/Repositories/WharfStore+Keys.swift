import SQLKit
import WharfCore

/// An API key as stored: metadata and the hash of its secret, never the secret.
public struct KeyRecord: Sendable, Equatable {
    public var id: String
    public var userID: String
    public var name: String
    public var keyHash: String
    public var displayPrefix: String
    public var status: KeyStatus
    public var policy: KeyPolicy
    public var spent: Money
    public var createdAt: Int64
    /// The owner's role, when the query joined the account (``WharfStore/activeKeys()`` does).
    public var ownerRole: Role?
    /// Whether the stored policy was read whole; a key whose policy cannot be read is not usable.
    public var policyReadable = true
}

extension WharfStore {
    /// Creates a key for a user and returns its record and its secret (shown once, never stored).
    ///
    /// With `maxActive`, an account that already has that many active keys gets ``StoreError/limitReached(_:)``
    /// (counted in the same transaction as the insert).
    public func createKey(userID: String, name: String, policy: KeyPolicy = KeyPolicy(), maxActive: Int? = nil)
        async throws -> (KeyRecord, APIKeySecret)
    {
        let secret = APIKeySecret.generate()
        let record = KeyRecord(
            id: WharfID.make("key"), userID: userID, name: name, keyHash: KeyHasher.hash(secret.value),
            displayPrefix: secret.displayPrefix, status: .active, policy: policy, spent: .zero, createdAt: now,
            ownerRole: nil)
        try await database.transaction { db in
            guard try await db.raw("SELECT id FROM users WHERE id = \(bind: userID)").first() != nil else {
                throw StoreError.notFound("user")
            }
            if let maxActive {
                let active =
                    try await db.raw(
                        "SELECT COUNT(*) AS n FROM api_keys WHERE user_id = \(bind: userID) AND status = 'active'"
                    ).first()?.int64("n") ?? 0
                guard active < maxActive else { throw StoreError.limitReached("\(maxActive) active keys") }
            }
            let version = try await Self.bumpKeysVersion(db)
            try await db.raw(
                """
                INSERT INTO api_keys (id, user_id, name, key_hash, display_prefix, status, expires_at, allowed_models,
                    allowed_ips, spend_limit, rate_limit_rpm, spent, created_at, changed_version, transfer_regions,
                    zero_retention, no_training)
                VALUES (\(bind: record.id), \(bind: userID), \(bind: name), \(bind: record.keyHash),
                    \(bind: record.displayPrefix), 'active', \(bind: policy.expiresAtMillis),
                    \(bind: JSONColumn.encode(policy.allowedModels.sorted())),
                    \(bind: JSONColumn.encode(policy.allowedIPs.map(\.description))),
                    \(bind: policy.spendLimit?.micros), \(bind: policy.requestsPerMinute), 0, \(bind: record.createdAt),
                    \(bind: version), \(bind: JSONColumn.encode(policy.transfer.regions.sorted())),
                    \(bind: policy.transfer.requireZeroRetention ? 1 : 0), \(bind: policy.transfer.requireNoTraining ? 1 : 0))
                """
            ).run()
        }
        return (record, secret)
    }

    /// Revokes a key; servers stop accepting it at their next reload (within 2 s).
    public func revokeKey(id: String) async throws {
        let at = now
        try await database.transaction { db in
            guard try await db.raw("SELECT id FROM api_keys WHERE id = \(bind: id)").first() != nil else {
                throw StoreError.notFound("key")
            }
            let version = try await Self.bumpKeysVersion(db)
            try await db.raw(
                """
                UPDATE api_keys SET status = 'revoked', revoked_at = \(bind: at), changed_version = \(bind: version)
                WHERE id = \(bind: id)
                """
            ).run()
        }
    }

    /// A key changed since a keys version, and whether its owner's account is active.
    public struct KeyChange: Sendable {
        public var key: KeyRecord
        public var ownerActive: Bool
        /// The keys version of the change.
        public var version: Int64
    }

    /// Keys created or revoked after keys version `version` (see ``versions()``), whatever their state now.
    public func keysChanged(since version: Int64) async throws -> [KeyChange] {
        try await database.withConnection { db in
            try await db.raw(
                """
                SELECT k.*, u.role AS owner_role, u.status AS owner_status, \(Self.ownerTransferColumns) FROM api_keys k
                JOIN users u ON u.id = k.user_id WHERE k.changed_version > \(bind: version)
                ORDER BY k.changed_version
                """
            ).all().map { row in
                KeyChange(
                    key: try Self.decodeKey(row), ownerActive: try row.string("owner_status") == "active",
                    version: try row.int64("changed_version"))
            }
        }
    }

    /// The keys of a user.
    public func keys(userID: String) async throws -> [KeyRecord] {
        try await database.withConnection { db in
            try await db.raw("SELECT * FROM api_keys WHERE user_id = \(bind: userID) ORDER BY created_at").all()
                .map(Self.decodeKey)
        }
    }

    /// Every active key of an active account, for the server's in-memory key table.
    public func activeKeys() async throws -> [KeyRecord] {
        try await database.withConnection(timeoutMillis: database.bulkTimeoutMillis) { db in
            try await db.raw(
                """
                SELECT k.*, u.role AS owner_role, \(Self.ownerTransferColumns)
                FROM api_keys k JOIN users u ON u.id = k.user_id
                WHERE k.status = 'active' AND u.status = 'active'
                """
            ).all().map(Self.decodeKey)
        }
    }

    static func decodeKey(_ row: any SQLRow) throws -> KeyRecord {
        // A policy that cannot be read whole makes the key unusable (fail closed): never "any model, any address".
        let models = JSONColumn.decode([String].self, try row.string("allowed_models"))
        let ipTexts = JSONColumn.decode([String].self, try row.string("allowed_ips"))
        let ips = (ipTexts ?? []).compactMap(IPRange.init)
        let keyTransfer = try Self.decodeTransfer(row, prefix: "")
        let ownerTransfer: TransferConstraints?? =
            row.contains(column: "owner_transfer_regions") ? try Self.decodeTransfer(row, prefix: "owner_") : .none
        let readable =
            models != nil && ipTexts != nil && ips.count == ipTexts?.count && keyTransfer != nil && ownerTransfer != nil
        var policy = KeyPolicy(
            allowedModels: Set(models ?? []), allowedIPs: ips,
            spendLimit: try row.optionalInt64("spend_limit").map(Money.init),
            expiresAtMillis: try row.optionalInt64("expires_at"),
            requestsPerMinute: try row.optionalInt64("rate_limit_rpm"))
        // The key's own constraints; when loaded for serving, combined with its account's default (the stricter).
        policy.transfer = keyTransfer ?? .none
        if let owner = ownerTransfer ?? nil { policy.transfer = policy.transfer.combined(with: owner) }
        return KeyRecord(
            id: try row.string("id"), userID: try row.string("user_id"), name: try row.string("name"),
            keyHash: try row.string("key_hash"), displayPrefix: try row.string("display_prefix"),
            status: KeyStatus(rawValue: try row.string("status")) ?? .revoked, policy: policy,
            spent: Money(micros: try row.int64("spent")), createdAt: try row.int64("created_at"),
            ownerRole: row.contains(column: "owner_role") ? Role(rawValue: try row.string("owner_role")) : nil,
            policyReadable: readable)
    }
}

extension WharfStore {
    /// The owner's default transfer constraints, selected next to a key (`owner_` columns).
    static let ownerTransferColumns: SQLQueryString = """
        u.transfer_regions AS owner_transfer_regions, u.zero_retention AS owner_zero_retention,
        u.no_training AS owner_no_training
        """

    /// Transfer constraints stored as `transfer_regions` (JSON list), `zero_retention` and `no_training` under
    /// `prefix`; nil when the list cannot be read (the key is then refused: fail closed).
    static func decodeTransfer(_ row: any SQLRow, prefix: String) throws -> TransferConstraints? {
        guard let regions = JSONColumn.decode([String].self, try row.string(prefix + "transfer_regions")) else {
            return nil
        }
        return TransferConstraints(
            regions: Set(regions.map { $0.lowercased() }),
            requireZeroRetention: try row.int64(prefix + "zero_retention") != 0,
            requireNoTraining: try row.int64(prefix + "no_training") != 0)
    }

    /// Sets an account's default transfer constraints (every key of the account is held to them as well as to its
    /// own); servers reload the account's keys.
    public func setTransferDefault(userID: String, _ transfer: TransferConstraints) async throws {
        let at = now
        try await database.transaction { db in
            try await db.raw(
                """
                UPDATE users SET transfer_regions = \(bind: JSONColumn.encode(transfer.regions.sorted())),
                    zero_retention = \(bind: transfer.requireZeroRetention ? 1 : 0),
                    no_training = \(bind: transfer.requireNoTraining ? 1 : 0), updated_at = \(bind: at)
                WHERE id = \(bind: userID)
                """
            ).run()
            try await Self.bumpConfigVersion(db)
        }
    }

    /// An account's default transfer constraints.
    public func transferDefault(userID: String) async throws -> TransferConstraints {
        try await database.withConnection { db in
            guard
                let row = try await db.raw(
                    "SELECT transfer_regions, zero_retention, no_training FROM users WHERE id = \(bind: userID)"
                ).first()
            else { throw StoreError.notFound("account") }
            return try Self.decodeTransfer(row, prefix: "") ?? .none
        }
    }
}
