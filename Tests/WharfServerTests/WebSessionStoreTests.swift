import Foundation
import Hummingbird
import Logging
import Synchronization
import Testing
import WharfCore
import WharfServer
import WharfStorage

/// A clock the scenario moves by hand.
final class ManualClock: Sendable {
    let now = Atomic<Int64>(1_800_000_000_000)
    func advance(_ millis: Int64) { now.add(millis, ordering: .relaxed) }
    var clock: WharfClock {
        WharfClock(
            nowMillis: { self.now.load(ordering: .relaxed) }, monotonicMillis: { self.now.load(ordering: .relaxed) })
    }
}

@Suite("Console sessions through the SQL persist driver")
struct WebSessionStoreTests {
    struct Note: Codable, Sendable, Equatable {
        var text: String
    }

    @Test("A session ends after the idle timeout, at its absolute end, when revoked, or when its account is disabled")
    func lifetimes() async throws {
        try await RelayHarness.with { h in
            let hand = ManualClock()
            let store = WharfStore(database: h.runtime.database, secrets: h.store.secrets, clock: hand.clock)
            let sessions = WebSessionStore(store: store, idleMillis: 10 * 60_000, absoluteMillis: 60 * 60_000)
            _ = try await sessions.create(id: "a", userID: h.user.id, device: "Chrome on Linux", clientIP: "127.0.0.0")
            hand.advance(9 * 60_000)
            #expect(try await sessions.live(id: "a") != nil, "seen within the idle time")
            hand.advance(9 * 60_000)
            #expect(try await sessions.live(id: "a") != nil, "each visit extends it")
            hand.advance(11 * 60_000)
            #expect(try await sessions.live(id: "a") == nil, "idle too long")

            _ = try await sessions.create(id: "b", userID: h.user.id, device: "d", clientIP: nil)
            for _ in 0..<12 {
                hand.advance(5 * 60_000)
                _ = try await sessions.live(id: "b")
            }
            #expect(try await sessions.live(id: "b") == nil, "past the absolute end, however active")

            _ = try await sessions.create(id: "c", userID: h.user.id, device: "d", clientIP: nil)
            #expect(try await sessions.revoke(id: "c", userID: "someone-else") == false)
            let otherNode = WebSessionStore(store: store, idleMillis: 10 * 60_000, absoluteMillis: 60 * 60_000)
            #expect(try await otherNode.live(id: "c") != nil, "another server on the same database sees it")
            #expect(try await otherNode.list(userID: h.user.id).map(\.id) == ["c"])
            #expect(try await sessions.revoke(id: "c", userID: h.user.id))
            #expect(try await otherNode.live(id: "c") == nil)

            _ = try await sessions.create(id: "d", userID: h.user.id, device: "d", clientIP: nil)
            try await store.setStatus(userID: h.user.id, status: .disabled)
            #expect(try await sessions.live(id: "d") == nil)
        }
    }

    @Test("The persist driver keeps any Codable value, refuses a duplicate create, and forgets expired values")
    func driver() async throws {
        try await RelayHarness.with { h in
            let hand = ManualClock()
            let driver = SQLPersistDriver(
                store: WharfStore(database: h.runtime.database, secrets: h.store.secrets, clock: hand.clock))
            try await driver.create(key: "note", value: Note(text: "hi"), expires: .seconds(5))
            await #expect(throws: PersistError.duplicate) {
                try await driver.create(key: "note", value: Note(text: "again"), expires: nil)
            }
            #expect(try await driver.get(key: "note", as: Note.self) == Note(text: "hi"))
            #expect(try await driver.get(key: "note", as: Int.self) == nil, "a value read as another type is absent")
            try await driver.set(key: "note", value: Note(text: "changed"), expires: nil)
            hand.advance(5_000)
            #expect(try await driver.get(key: "note", as: Note.self) == nil, "set without expiry kept the old one")
            try await driver.set(key: "note", value: Note(text: "forever"), expires: nil)
            hand.advance(1_000_000)
            #expect(try await driver.get(key: "note", as: Note.self) == Note(text: "forever"))
            try await driver.remove(key: "note")
            #expect(try await driver.get(key: "note", as: Note.self) == nil)
        }
    }
}

/// Issue 11, finding 2: a refresh never brings back a session ended while a request using it was in flight.
@Suite("Console sessions: revocation under concurrency")
struct WebSessionRevocationTests {
    /// SQLite always; PostgreSQL when `WHARF_TEST_POSTGRES_URL` is set (CI).
    static var backends: [String] { FreshPostgres.baseURL == nil ? ["sqlite"] : ["sqlite", "postgres"] }

    /// A fresh migrated database of `backend` for `body`.
    static func withDatabase(_ backend: String, _ body: (WharfDatabase) async throws -> Void) async throws {
        var logger = Logger(label: "test")
        logger.logLevel = .warning
        if backend == "sqlite" {
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("wharf-sess-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: dir) }
            let database = try await WharfDatabase.openSQLite(
                path: dir.appendingPathComponent("w.sqlite").path, logger: logger)
            try await database.migrate(nowMillis: 1)
            do { try await body(database) } catch {
                await database.close()
                throw error
            }
            await database.close()
            return
        }
        try await FreshPostgres.with(prefix: "wharf_s_") { url in
            let database = try await WharfDatabase.openPostgres(url: url, logger: logger, maxConnections: 16)
            var failure: (any Error)?
            do {
                try await database.migrate(nowMillis: 1)
                try await body(database)
            } catch { failure = error }
            await database.close()
            if let failure { throw failure }
        }
    }

    @Test(
        "Sessions revoked while two nodes' requests using them are in flight, with a refresh due, all stay revoked",
        arguments: backends)
    func revokedStayRevoked(backend: String) async throws {
        try await Self.withDatabase(backend) { database in
            let hand = ManualClock()
            let store = WharfStore(
                database: database, secrets: try SecretBox(keys: [(0..<32).map { UInt8($0) }]), clock: hand.clock)
            let user = try await store.createUser(
                email: EmailAddress("rev@example.com")!, username: "rev", passwordHash: "x", role: .user)
            let nodes = (0..<2).map { _ in
                WebSessionStore(store: store, idleMillis: 30 * 60_000, absoluteMillis: 24 * 3_600_000)
            }
            var rng = SystemRandomNumberGenerator()
            for round in 0..<25 {
                let ids = (0..<8).map { "r\(round)-\($0)" }
                for id in ids { _ = try await nodes[0].create(id: id, userID: user.id, device: "d", clientIP: nil) }
                hand.advance(61_000)  // every read below is due to refresh its session
                let revokeAll = round % 3 == 0
                let kept = ids[0]
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for id in ids {
                        for reader in 0..<3 {
                            let node = nodes[(reader + Int.random(in: 0...1, using: &rng)) % 2]
                            group.addTask { _ = try await node.live(id: id) }
                        }
                    }
                    if revokeAll {
                        group.addTask { try await nodes[1].revokeAll(userID: user.id, keeping: kept) }
                    } else {
                        for id in ids.dropFirst() {
                            group.addTask { _ = try await nodes[1].revoke(id: id, userID: user.id) }
                        }
                    }
                    try await group.waitForAll()
                }
                for id in ids.dropFirst() {
                    #expect(try await nodes[0].live(id: id) == nil, "\(backend): \(id) came back")
                    #expect(try await nodes[1].live(id: id) == nil, "\(backend): \(id) came back")
                }
                #expect(try await nodes[0].live(id: kept) != nil || !revokeAll)
                try await nodes[0].revokeAll(userID: user.id)
            }
        }
    }
}
