import Foundation
import Logging
import SQLKit
import WharfStorage

/// A PostgreSQL database of its own for one scenario, on the server named by `WHARF_TEST_POSTGRES_URL` (CI sets
/// it): created before `body`, dropped after it, whether it passed or not.
enum FreshPostgres {
    /// The server's URL, or nil when PostgreSQL scenarios are skipped.
    static var baseURL: String? {
        ProcessInfo.processInfo.environment["WHARF_TEST_POSTGRES_URL"].flatMap { $0.isEmpty ? nil : $0 }
    }

    /// Runs `body` with the URL of a new, empty database (`prefix` + random), then drops it.
    static func with(prefix: String, _ body: (String) async throws -> Void) async throws {
        guard let base = baseURL, var parts = URLComponents(string: base) else { return }
        var logger = Logger(label: "test")
        logger.logLevel = .warning
        let name = prefix + UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(16).lowercased()
        let admin = try await WharfDatabase.openPostgres(url: base, logger: logger, maxConnections: 2)
        try await admin.withConnection { db in try await db.raw("CREATE DATABASE \(unsafeRaw: name)").run() }
        parts.path = "/" + name
        var failure: (any Error)?
        do { try await body(parts.string ?? base) } catch { failure = error }
        try? await admin.withConnection { db in try await db.raw("DROP DATABASE \(unsafeRaw: name) WITH (FORCE)").run()
        }
        await admin.close()
        if let failure { throw failure }
    }
}
