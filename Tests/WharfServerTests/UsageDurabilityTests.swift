import Foundation
import Logging
import Testing
import WharfCore
import WharfStorage

@testable import WharfServer

/// No charge is lost silently: charges the database cannot take are kept on disk at shutdown and written at the next
/// start, exactly once; requests still in flight at shutdown are waited for; past a bound of unwritten charges the
/// relay refuses new requests.
@Suite("Usage writer: durability of charges")
struct UsageDurabilityTests {
    static let logger: Logger = {
        var l = Logger(label: "test")
        l.logLevel = .critical
        return l
    }()

    /// A fresh SQLite database in `dir` with one user (balance 5.0) and one key.
    static func open(_ dir: URL) async throws -> (WharfDatabase, WharfStore) {
        let database = try await WharfDatabase.openSQLite(
            path: dir.appendingPathComponent("w.sqlite").path, logger: logger)
        try await database.migrate(nowMillis: 1)
        let store = WharfStore(database: database, secrets: try SecretBox(keys: [(0..<32).map { UInt8($0) }]))
        return (database, store)
    }

    static func withDirectory(_ body: (URL) async throws -> Void) async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("wharf-durable-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try await body(dir)
    }

    @Test("Charges the database cannot take at shutdown are kept on disk and written at the next start, once")
    func keptOnDiskAndReplayedOnce() async throws {
        try await Self.withDirectory { dir in
            let spill = dir.appendingPathComponent("unwritten-usage.jsonl").path
            var (database, store) = try await Self.open(dir)
            let user = try await store.createUser(
                email: EmailAddress("kept@example.com")!, username: "kept", passwordHash: "x", role: .user)
            _ = try await store.post(userID: user.id, kind: .grant, amount: Money(micros: 5_000_000))
            let (key, _) = try await store.createKey(userID: user.id, name: "k")
            let first = UsageWriter(
                store: store, book: BalanceBook(), flushMillis: 60_000, maxRows: 100, spillPath: spill,
                logger: Self.logger)
            first.enqueue(UsageWriterTests.record("req_k1", user: user.id, key: key.id, cost: 1_234))
            first.enqueue(UsageWriterTests.record("req_k2", user: user.id, key: key.id, cost: 4_321))
            // The database goes away before the last flush.
            await database.close()
            await first.finish()
            let kept = try UsageSpillFile(path: spill).read()
            #expect(kept.records.map(\.id) == ["req_k1", "req_k2"])
            #expect(kept.records.map(\.cost.micros) == [1_234, 4_321])
            let mode = try FileManager.default.attributesOfItem(atPath: spill)[.posixPermissions] as? Int
            #expect(mode == 0o600, "the file is the server user's alone")
            // A charge that ends after the writer stopped is added to the file too.
            first.enqueue(UsageWriterTests.record("req_k3", user: user.id, key: key.id, cost: 45))
            #expect(try UsageSpillFile(path: spill).read().records.map(\.id) == ["req_k1", "req_k2", "req_k3"])

            // The next start writes them: the balance falls by exactly their sum.
            (database, store) = try await Self.open(dir)
            let book = BalanceBook()
            let second = UsageWriter(
                store: store, book: book, flushMillis: 60_000, maxRows: 100, spillPath: spill, logger: Self.logger)
            await second.reloadBalances()
            await second.replayKeptOnDisk()
            #expect(try await store.balance(userID: user.id) == Money(micros: 5_000_000 - 1_234 - 4_321 - 45))
            #expect(!FileManager.default.fileExists(atPath: spill), "the file is removed once all are written")
            #expect(try await store.verifyLedger().isEmpty)
            // The book holds them as written, not pending: the full remaining balance can be held.
            #expect(
                book.reserve(
                    userID: user.id, keyID: key.id, amount: Money(micros: 5_000_000 - 5_600 + 1), keyLimit: nil) == nil,
                "the replayed charges count against the balance at once")
            #expect(
                book.reserve(
                    userID: user.id, keyID: key.id, amount: Money(micros: 5_000_000 - 5_600), keyLimit: nil) != nil)

            // A file left by a crash after the commit (the same rows again) charges nothing more.
            try UsageSpillFile(path: spill).replace(
                with: [
                    UsageWriterTests.record("req_k1", user: user.id, key: key.id, cost: 1_234),
                    UsageWriterTests.record("req_k2", user: user.id, key: key.id, cost: 4_321),
                ])
            let third = UsageWriter(
                store: store, book: BalanceBook(), flushMillis: 60_000, maxRows: 100, spillPath: spill,
                logger: Self.logger)
            await third.replayKeptOnDisk()
            #expect(try await store.balance(userID: user.id) == Money(micros: 5_000_000 - 5_600))
            #expect(third.setAsideSummary.rows == 0, "a row already written is skipped, not set aside")
            #expect(!FileManager.default.fileExists(atPath: spill))
            #expect(try await store.usageRecords(userID: user.id).count == 3)
            await database.close()
        }
    }

    @Test(
        "A line cut by a crash mid-write is skipped and counted, the next record is not glued onto it, and the file is kept aside, never deleted"
    )
    func cutLineSkipped() async throws {
        try await Self.withDirectory { dir in
            let spill = dir.appendingPathComponent("unwritten-usage.jsonl").path
            let (database, store) = try await Self.open(dir)
            let user = try await store.createUser(
                email: EmailAddress("cut@example.com")!, username: "cut", passwordHash: "x", role: .user)
            _ = try await store.post(userID: user.id, kind: .grant, amount: Money(micros: 1_000_000))
            let (key, _) = try await store.createKey(userID: user.id, name: "k")
            let file = UsageSpillFile(path: spill)
            try file.replace(with: [UsageWriterTests.record("req_c1", user: user.id, key: key.id, cost: 10)])
            // A torn append: half a line and no line end.
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: spill))
            try handle.seekToEnd()
            try handle.write(contentsOf: Data(#"{"costMicros":99,"id":"req_half"#.utf8))
            try handle.close()
            try file.append([UsageWriterTests.record("req_c2", user: user.id, key: key.id, cost: 20)])
            let contents = try file.read()
            #expect(contents.records.map(\.id) == ["req_c1", "req_c2"], "the record after the torn line is whole")
            #expect(contents.unreadableLines == 1)
            let writer = UsageWriter(
                store: store, book: BalanceBook(), flushMillis: 60_000, maxRows: 100, spillPath: spill,
                logger: Self.logger)
            await writer.replayKeptOnDisk()
            #expect(try await store.balance(userID: user.id) == Money(micros: 1_000_000 - 30))
            #expect(!FileManager.default.fileExists(atPath: spill))
            let kept = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter {
                $0.hasPrefix("unwritten-usage.jsonl.unreadable-")
            }
            #expect(kept.count == 1, "the file with an unreadable line is kept aside for a person to look at")
            await database.close()
        }
    }

    @Test("Charges that arrive while the writer stops are each kept exactly once: in the final file or appended to it")
    func lateChargesDuringStop() async throws {
        try await Self.withDirectory { dir in
            let spill = dir.appendingPathComponent("unwritten-usage.jsonl").path
            let (database, store) = try await Self.open(dir)
            await database.close()  // nothing can be written: every row must end up on disk
            let writer = UsageWriter(
                store: store, book: BalanceBook(), flushMillis: 60_000, maxRows: 100, spillPath: spill,
                logger: Self.logger)
            for i in 0..<50 { writer.enqueue(UsageWriterTests.record("req_q\(i)", user: "u", key: "k", cost: 1)) }
            // The producer starts the moment the writer stops taking rows: its charges race the final file.
            let producer = Task.detached {
                while !writer.queue.withLock({ $0.stopped }) { await Task.yield() }
                for i in 0..<300 {
                    writer.enqueue(UsageWriterTests.record("req_l\(i)", user: "u", key: "k", cost: 1))
                }
            }
            writer.copyUnwrittenToDisk()
            await writer.finish()
            await producer.value
            let ids = try UsageSpillFile(path: spill).read().records.map(\.id)
            #expect(ids.count == 350, "none lost, none twice")
            #expect(Set(ids).count == 350)
            #expect(Set(ids.filter { $0.hasPrefix("req_l") }).count == 300, "every late charge is in the file")
        }
    }

    @Test("A row whose commit answer was lost (it is in the database already) counts as written, not set aside")
    func lostCommitAnswer() async throws {
        try await Self.withDirectory { dir in
            let (database, store) = try await Self.open(dir)
            let user = try await store.createUser(
                email: EmailAddress("ack@example.com")!, username: "ack", passwordHash: "x", role: .user)
            _ = try await store.post(userID: user.id, kind: .grant, amount: Money(micros: 1_000_000))
            let (key, _) = try await store.createKey(userID: user.id, name: "k")
            let book = BalanceBook()
            let writer = UsageWriter(
                store: store, book: book, flushMillis: 60_000, maxRows: 100, logger: Self.logger)
            try await writer.loadBalances()
            // The request was settled (its charge pending in the book) and its batch committed, but the writer saw
            // a time-out instead of the commit's answer: the same row is queued again.
            let row = UsageWriterTests.record("req_acked", user: user.id, key: key.id, cost: 400)
            book.addPending(userID: user.id, keyID: key.id, amount: row.cost)
            try await store.writeUsage([row])
            writer.enqueue(row)
            await writer.flush()
            #expect(writer.setAsideSummary.rows == 0)
            #expect(writer.backlog == 0)
            #expect(writer.problem == nil)
            #expect(try await store.balance(userID: user.id) == Money(micros: 1_000_000 - 400), "charged once")
            // The book agrees with the database: exactly the remaining balance can be held.
            #expect(book.reserve(userID: user.id, keyID: key.id, amount: Money(micros: 999_601), keyLimit: nil) == nil)
            #expect(book.reserve(userID: user.id, keyID: key.id, amount: Money(micros: 999_600), keyLimit: nil) != nil)
            await database.close()
        }
    }

    @Test("Shutdown waits for a request still holding money, so its charge is written, not lost")
    func shutdownWaitsForRequestsInFlight() async throws {
        try await Self.withDirectory { dir in
            let (database, store) = try await Self.open(dir)
            let user = try await store.createUser(
                email: EmailAddress("late@example.com")!, username: "late", passwordHash: "x", role: .user)
            _ = try await store.post(userID: user.id, kind: .grant, amount: Money(micros: 1_000_000))
            let (key, _) = try await store.createKey(userID: user.id, name: "k")
            let book = BalanceBook()
            let writer = UsageWriter(
                store: store, book: book, flushMillis: 60_000, maxRows: 100, shutdownWaitMillis: 10_000,
                spillPath: dir.appendingPathComponent("unwritten-usage.jsonl").path, logger: Self.logger)
            await writer.reloadBalances()
            // A request whose client left: its drain is still reading the upstream when shutdown starts.
            let hold = try #require(
                book.reserve(userID: user.id, keyID: key.id, amount: Money(micros: 500), keyLimit: nil))
            #expect(book.holdsInFlight == 1)
            let drain = Task {
                try await Task.sleep(for: .milliseconds(300))
                let charged = hold.settle(cost: Money(micros: 777))
                writer.enqueue(UsageWriterTests.record("req_drained", user: user.id, key: key.id, cost: charged.micros))
                hold.recorded()
            }
            let started = ContinuousClock.now
            await writer.waitForRequestsInFlight()
            await writer.finish()
            try await drain.value
            #expect(ContinuousClock.now - started < .seconds(5), "it waits for the request, not for the bound")
            #expect(book.holdsInFlight == 0)
            #expect(try await store.balance(userID: user.id) == Money(micros: 1_000_000 - 777))
            await database.close()
        }
    }

    @Test(
        "Past the bound of unwritten charges the relay refuses new requests (503 billing_unavailable), and serves again once they are written"
    )
    func refusesPastTheBound() async throws {
        let tune: @Sendable (inout WharfConfig) -> Void = {
            $0.usageFlushMillis = 60_000
            $0.unwrittenChargesMaxAmount = Money(micros: 1_000)
        }
        try await RelayHarness.with(tune: tune) { h in
            let writer = h.services.writer
            let served = try await h.request("/v1/chat/completions", body: RelayHarness.chat())
            #expect(served.status == 200)
            // A charge that cannot be written (its account is gone), past the bound.
            var stuck = UsageWriterTests.record("req_stuck", user: "usr_gone", key: "key_gone", cost: 5_000)
            stuck.createdAt = WharfClock.system.nowMillis()
            writer.enqueue(stuck)
            await writer.flush()
            #expect(writer.setAsideSummary.amount == Money(micros: 5_000))
            #expect(writer.refusesNewRequests)
            let refused = try await h.request("/v1/chat/completions", body: RelayHarness.chat())
            #expect(refused.status == 503)
            #expect(refused.errorCode == "billing_unavailable")
            let calls = h.stubLog.all.count
            #expect(calls == 1, "the refused request never reached the upstream")
            let ready = try await h.request("/readyz", method: .GET)
            #expect(ready.status == 503)
            #expect(ready.body.contains("refused"))
            // The row is dealt with (here: taken out of the set-aside list); the relay serves again.
            writer.setAside.withLock { $0.removeAll() }
            await writer.flush()
            #expect(!writer.refusesNewRequests)
            #expect(try await h.request("/v1/chat/completions", body: RelayHarness.chat()).status == 200)
        }
    }

    @Test("Unwritten charges older than the age bound make the relay refuse new requests")
    func refusesPastTheAge() async throws {
        try await Self.withDirectory { dir in
            let (database, store) = try await Self.open(dir)
            let writer = UsageWriter(
                store: store, book: BalanceBook(), flushMillis: 60_000, maxRows: 100,
                limits: .init(maxAgeMillis: 1_000, maxAmount: Money(micros: .max)), logger: Self.logger)
            await database.close()
            // The database does not answer: the charge stays queued and grows old.
            var old = UsageWriterTests.record("req_old", user: "u", key: "k", cost: 1)
            old.createdAt = WharfClock.system.nowMillis() - 5_000
            writer.enqueue(old)
            await writer.flush()
            #expect(writer.backlog == 1, "kept, never dropped")
            #expect(writer.refusesNewRequests)
            #expect(writer.problem?.contains("refused") == true)
        }
    }
}
