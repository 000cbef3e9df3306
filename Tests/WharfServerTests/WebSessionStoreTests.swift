import Foundation
import Hummingbird
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
