import Foundation
import SQLKit
import Testing
import WharfCore

@testable import WharfStorage

/// The database never hangs the server, and never serves two servers at once.
@Suite("Database: time limits and the one-server lock")
struct DatabaseGuardsTests {
    @Test(
        "One server per database: a second lock is refused at once; released, it can be taken again",
        arguments: Backend.available)
    func oneServerLock(backend: Backend) async throws {
        try await TestDatabase.with(backend) { t in
            let first = try await t.database.takeServingLock()
            let started = ContinuousClock.now
            await #expect(throws: ServingLockError.self) { _ = try await t.database.takeServingLock() }
            #expect(ContinuousClock.now - started < .seconds(3), "it never waits for the lock")
            do throws(ServingLockError) {
                _ = try await t.database.takeServingLock()
                Issue.record("a second lock was taken")
            } catch {
                #expect(error.description.hasPrefix("another wharf server is already serving"))
                #expect(!error.description.contains("password"))
            }
            await first.release()
            let again = try await t.database.takeServingLock()
            await again.release()
        }
    }

    @Test("PostgreSQL: a lock whose session is cut is taken again by its watch, so a second server still cannot start")
    func postgresLockRetaken() async throws {
        guard Backend.postgresURL != nil else { return }
        try await TestDatabase.with(.postgres) { t in
            let lock = try await t.database.takeServingLock()
            let watching = Task { await lock.watch(every: .milliseconds(200)) { Issue.record("reported lost") } }
            @Sendable func holder() async throws -> Int? {
                try await t.database.withConnection { db in
                    try await db.raw(
                        "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
                    ).first()?.decode(column: "pid", as: Int.self)
                }
            }
            let first = try #require(try await holder())
            // An operator (or a failover) ends the lock's session.
            try await t.database.withConnection { db in
                try await db.raw("SELECT pg_terminate_backend(CAST(\(bind: first) AS INTEGER))").run()
            }
            // Within a few checks the lock is held again, by a new session, and a second server is refused. (The
            // bound is generous: with the whole suite creating PostgreSQL databases at once, one check took 20 s.)
            var retakenBy: Int?
            let deadline = ContinuousClock.now + .seconds(30)
            while retakenBy == nil && ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(100))
                if let now = try await holder(), now != first { retakenBy = now }
            }
            #expect(retakenBy != nil, "the lock is held by a new session")
            do throws(ServingLockError) {
                _ = try await t.database.takeServingLock()
                Issue.record("a second server took the lock")
            } catch {
                #expect(error.description.hasPrefix("another wharf server is already serving"))
            }
            watching.cancel()
            await lock.release()
        }
    }

    @Test(
        "PostgreSQL: a call past the time limit fails with a time-out (its connection closed), and the next call works")
    func postgresCallTimesOut() async throws {
        guard let url = Backend.postgresURL else { return }
        // Opened with the usual limits (a busy test run can take seconds to connect); the call itself gets 500 ms.
        let database = try await WharfDatabase.openPostgres(url: url, logger: TestDatabase.logger, maxConnections: 4)
        let started = ContinuousClock.now
        await #expect(throws: WharfDatabaseError.self) {
            try await database.withConnection(timeoutMillis: 500) { db in
                try await db.raw("SELECT pg_sleep(5)").run()
            }
        }
        #expect(ContinuousClock.now - started < .seconds(3))
        let one = try await database.withConnection { db in
            try await db.raw("SELECT 1 AS one").first()?.decode(column: "one", as: Int.self)
        }
        #expect(one == 1)
        await database.close()
    }

    @Test("PostgreSQL: usage is written again after every connection of the server was killed")
    func postgresKilledConnections() async throws {
        guard Backend.postgresURL != nil else { return }
        try await TestDatabase.with(.postgres) { t in
            let user = try await t.store.makeUser("killed@example.com", balance: Money(micros: 1_000_000))
            let (key, _) = try await t.store.createKey(userID: user.id, name: "k")
            try await t.store.writeUsage([.forTest(id: "req_before", userID: user.id, keyID: key.id, cost: 10)])
            // Another session kills every other backend on this database (what an operator or a failover does).
            guard let base = Backend.postgresURL, var parts = URLComponents(string: base) else { return }
            let name = try await t.database.withConnection { db in
                try await db.raw("SELECT current_database() AS d").first()?.decode(column: "d", as: String.self)
            }
            parts.path = "/" + (name ?? "")
            let killer = try await WharfDatabase.openPostgres(
                url: base, logger: TestDatabase.logger, maxConnections: 2)
            try await killer.withConnection { db in
                try await db.raw(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = \(bind: name ?? "") AND pid <> pg_backend_pid()"
                ).run()
            }
            await killer.close()
            // The next calls may fail (a dead pooled connection) but never hang; the writer's retry then succeeds.
            var written = false
            let deadline = ContinuousClock.now + .seconds(10)
            while !written && ContinuousClock.now < deadline {
                do {
                    try await t.store.writeUsage([.forTest(id: "req_after", userID: user.id, keyID: key.id, cost: 20)])
                    written = true
                } catch {
                    try await Task.sleep(for: .milliseconds(100))
                }
            }
            #expect(written)
            #expect(try await t.store.balance(userID: user.id) == Money(micros: 1_000_000 - 30))
            #expect(
                try await t.store.existingUsageIDs(["req_before", "req_after", "req_never"]) == [
                    "req_before", "req_after",
                ])
        }
    }
}
