import Foundation
import Logging
import SQLKit
import Testing
import WharfCore
import WharfStorage

/// The databases every storage scenario runs on: SQLite always, PostgreSQL when `WHARF_TEST_POSTGRES_URL` is set
/// (CI sets it). Each scenario gets a fresh, migrated database of its own.
enum Backend: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case sqlite
    case postgres

    var testDescription: String { rawValue }

    static var postgresURL: String? {
        ProcessInfo.processInfo.environment["WHARF_TEST_POSTGRES_URL"].flatMap { $0.isEmpty ? nil : $0 }
    }

    /// The backends available in this run.
    static var available: [Backend] { postgresURL == nil ? [.sqlite] : [.sqlite, .postgres] }
}

/// A fresh database for one scenario.
struct TestDatabase {
    let store: WharfStore
    let database: WharfDatabase
    /// The SQLite file, when the backend is SQLite.
    let sqlitePath: String?

    static let logger: Logger = {
        var l = Logger(label: "test")
        l.logLevel = .warning
        return l
    }()

    static func testKey() -> [UInt8] { (0..<32).map { UInt8($0 * 7 % 256) } }

    /// Runs `body` with a fresh migrated database of `backend`, then removes it.
    static func with(_ backend: Backend, _ body: (TestDatabase) async throws -> Void) async throws {
        let secrets = try SecretBox(keys: [testKey()])
        switch backend {
        case .sqlite:
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("wharf-test-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: dir) }
            let path = dir.appendingPathComponent("wharf.sqlite").path
            let database = try await WharfDatabase.openSQLite(path: path, logger: logger)
            try await database.migrate(nowMillis: 1)
            do {
                try await body(
                    TestDatabase(
                        store: WharfStore(database: database, secrets: secrets), database: database, sqlitePath: path))
            } catch {
                await database.close()
                throw error
            }
            await database.close()
        case .postgres:
            guard let base = Backend.postgresURL, var parts = URLComponents(string: base) else { return }
            let name = "wharf_t_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(16).lowercased()
            let admin = try await WharfDatabase.openPostgres(url: base, logger: logger, maxConnections: 2)
            try await admin.withConnection { db in try await db.raw("CREATE DATABASE \(unsafeRaw: name)").run() }
            parts.path = "/" + name
            let database = try await WharfDatabase.openPostgres(
                url: parts.string ?? base, logger: logger, maxConnections: 8)
            do {
                try await database.migrate(nowMillis: 1)
                try await body(
                    TestDatabase(
                        store: WharfStore(database: database, secrets: secrets), database: database, sqlitePath: nil))
            } catch {
                await database.close()
                try? await admin.withConnection { db in try await db.raw("DROP DATABASE \(unsafeRaw: name)").run() }
                await admin.close()
                throw error
            }
            await database.close()
            try? await admin.withConnection { db in try await db.raw("DROP DATABASE \(unsafeRaw: name)").run() }
            await admin.close()
        }
    }
}

extension WharfStore {
    /// A user with `balance` credit, for scenarios.
    func makeUser(_ email: String, balance: Money = .zero) async throws -> UserRecord {
        let user = try await createUser(
            email: EmailAddress(email)!, username: String(email.split(separator: "@")[0]), passwordHash: "x",
            role: .user)
        if balance.micros > 0 { _ = try await post(userID: user.id, kind: .grant, amount: balance) }
        return user
    }
}

extension UsageRecord {
    /// A usage record for storage scenarios: a non-streamed chat completion with what a scenario varies.
    static func forTest(
        id: String = WharfID.make("req"), userID: String, keyID: String, cost: Int64, model: String = "m",
        createdAt: Int64 = 1, status: String = "ok",
        usage: TokenUsage = TokenUsage(promptTokens: 1, completionTokens: 1)
    ) -> UsageRecord {
        UsageRecord(
            id: id, createdAt: createdAt, userID: userID, keyID: keyID, model: model, channelID: nil,
            endpoint: "chat/completions", usage: usage, cost: Money(micros: cost), latencyMillis: 5,
            timeToFirstTokenMillis: nil, status: status, stream: false, clientIP: nil)
    }
}
