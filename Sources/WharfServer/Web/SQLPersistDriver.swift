import Foundation
import Hummingbird
import WharfStorage

/// A value that belongs to an account, so the store can list and end an account's entries (its sessions).
public protocol PersistOwned {
    /// The owning account's id.
    var persistOwner: String? { get }
}

/// Hummingbird's `PersistDriver` over Wharf's storage layer: entries live in the `persist` table of the same
/// SQLite or PostgreSQL database as everything else, so they survive restarts and every node sees them. Values are
/// JSON; expiry is enforced on read and swept on create.
public struct SQLPersistDriver: PersistDriver {
    let store: WharfStore

    /// Creates the driver.
    public init(store: WharfStore) { self.store = store }

    public func run() async throws {}

    public func create<Object: Codable & Sendable>(key: String, value: Object, expires: Duration?) async throws {
        do {
            try await store.persistCreate(try entry(key, value, expires))
        } catch StoreError.duplicate {
            throw PersistError.duplicate
        }
    }

    public func set<Object: Codable & Sendable>(key: String, value: Object, expires: Duration?) async throws {
        try await store.persistSet(try entry(key, value, expires), keepExpiry: expires == nil)
    }

    /// Updates the live entry with `key` only (never recreates one ended since it was read); false when there is
    /// none. Sessions are refreshed this way, so a revoked one cannot come back.
    public func refresh<Object: Codable & Sendable>(key: String, value: Object, expires: Duration?) async throws
        -> Bool
    {
        try await store.persistRefresh(try entry(key, value, expires))
    }

    public func get<Object: Codable & Sendable>(key: String, as: Object.Type) async throws -> Object? {
        guard let found = try await store.persistGet(key) else { return nil }
        return try? JSONDecoder().decode(Object.self, from: Data(found.value.utf8))
    }

    public func remove(key: String) async throws {
        try await store.persistRemove(key)
    }

    func entry<Object: Codable & Sendable>(_ key: String, _ value: Object, _ expires: Duration?) throws -> PersistEntry
    {
        let json = String(decoding: try JSONEncoder().encode(value), as: UTF8.self)
        let expiresAt = expires.map {
            store.clock.nowMillis() + $0.components.seconds * 1000 + $0.components.attoseconds / 1_000_000_000_000_000
        }
        return PersistEntry(
            key: key, value: json, owner: (value as? any PersistOwned)?.persistOwner, expiresAt: expiresAt)
    }
}
