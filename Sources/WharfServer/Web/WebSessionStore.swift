import Foundation
import Hummingbird
import WharfCore
import WharfStorage

/// A console sign-in as the console shows it. The cookie's secret is never stored: `id` is its SHA-256.
public struct WebSessionRecord: Sendable, Equatable, Codable, PersistOwned {
    public var id: String
    public var userID: String
    public var createdAt: Int64
    public var lastSeenAt: Int64
    /// The absolute end, however active the session is.
    public var expiresAt: Int64
    /// Browser and operating system, e.g. "Chrome on Linux".
    public var device: String
    public var clientIP: String?

    public var persistOwner: String? { userID }
}

/// Console sessions, kept through the ``SQLPersistDriver`` (so they survive restarts and work across nodes) under
/// `session:<id>`. The entry's expiry is the idle timeout, pushed forward at most once a minute as the visitor
/// comes back; the absolute end is in the record.
public struct WebSessionStore: Sendable {
    let driver: SQLPersistDriver
    let store: WharfStore
    let idleMillis: Int64
    let absoluteMillis: Int64

    /// Creates the store.
    public init(store: WharfStore, idleMillis: Int64, absoluteMillis: Int64) {
        self.driver = SQLPersistDriver(store: store)
        self.store = store
        self.idleMillis = idleMillis
        self.absoluteMillis = absoluteMillis
    }

    static let prefix = "session:"
    static func key(_ id: String) -> String { prefix + id }
    var now: Int64 { store.clock.nowMillis() }
    var idle: Duration { .milliseconds(idleMillis) }

    /// Starts a session for `userID`.
    public func create(id: String, userID: String, device: String, clientIP: String?) async throws -> WebSessionRecord {
        let at = now
        let record = WebSessionRecord(
            id: id, userID: userID, createdAt: at, lastSeenAt: at, expiresAt: at + absoluteMillis, device: device,
            clientIP: clientIP)
        try await driver.create(key: Self.key(id), value: record, expires: idle)
        return record
    }

    /// The live session with this id and its account: within the idle timeout and its absolute end, and the account
    /// active. Pushes the idle timeout forward (at most once a minute, to spare the database) by updating the row
    /// only if it still exists: a session ended between the read and the refresh (sign-out-all, revocation, a
    /// disabled account, on this node or another) stays ended, and this request is treated as signed out.
    public func live(id: String) async throws -> (WebSessionRecord, UserRecord)? {
        let at = now
        guard var record = try await driver.get(key: Self.key(id), as: WebSessionRecord.self), record.expiresAt > at
        else { return nil }
        guard let user = try await store.user(id: record.userID), user.status.canSignIn else { return nil }
        if at - record.lastSeenAt > 60_000 {
            record.lastSeenAt = at
            guard try await driver.refresh(key: Self.key(id), value: record, expires: idle) else { return nil }
        }
        return (record, user)
    }

    /// The account's live sessions, newest first.
    public func list(userID: String) async throws -> [WebSessionRecord] {
        let at = now
        return try await store.persistEntries(owner: userID, prefix: Self.prefix).compactMap {
            try? JSONDecoder().decode(WebSessionRecord.self, from: Data($0.value.utf8))
        }.filter { $0.expiresAt > at }.sorted { $0.createdAt > $1.createdAt }
    }

    /// Ends one of the account's sessions; false when the account has no such session.
    @discardableResult
    public func revoke(id: String, userID: String) async throws -> Bool {
        guard let record = try await driver.get(key: Self.key(id), as: WebSessionRecord.self), record.userID == userID
        else { return false }
        try await driver.remove(key: Self.key(id))
        return true
    }

    /// Ends every session of the account except `keeping`.
    public func revokeAll(userID: String, keeping: String? = nil) async throws {
        try await store.persistRemove(owner: userID, prefix: Self.prefix, keeping: keeping.map(Self.key))
    }
}
