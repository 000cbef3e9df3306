import Foundation
import Logging
import Testing
import WharfCore
import WharfMail
import WharfServer
import WharfStorage

@Suite("Mail dispatcher")
struct MailDispatcherTests {
    @Test("A relay that cannot be reached leaves the message queued for a later retry, content still sealed")
    func unreachableRelayRetriesLater() async throws {
        try await RelayHarness.with { h in
            let mail = QueuedMail(subject: "Hello", text: "secret link")
            _ = try await h.store.enqueueMail(
                userID: nil, kind: "test", recipient: "r@example.com", message: mail.encoded())
            // Port 9 (discard) on loopback is not listening here: the connection is refused.
            let client = SMTPClient(
                settings: SMTPSettings(host: "127.0.0.1", port: 9, security: .none, timeoutMillis: 2000),
                logger: Logger(label: "test"))
            let dispatcher = MailDispatcher(
                store: h.store, client: client, from: try MailAddress("no-reply@example.com"), intervalMillis: 1000,
                logger: Logger(label: "test"))
            #expect(await dispatcher.deliverDue() == 0)
            #expect(try await h.store.dueMail().isEmpty, "not due again until the back-off has passed")
            #expect(try await h.store.outboxCounts() == ["pending": 1])
        }
    }

    @Test("The From setting accepts a display name or a bare address, and refuses junk at start")
    func fromSetting() async throws {
        var config = WharfConfig()
        config.smtpHost = "127.0.0.1"
        config.smtpFrom = "Wharf Support <support@example.com>"
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let path = FileManager.default.temporaryDirectory.appendingPathComponent(
            "wharf-from-\(UUID().uuidString).sqlite"
        ).path
        let database = try await WharfDatabase.openSQLite(path: path, logger: logger)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let store = WharfStore(database: database, secrets: try SecretBox(keys: [Array(repeating: 1, count: 32)]))
        #expect(try MailDispatcher.make(config: config, store: store, logger: logger) != nil)
        config.smtpFrom = "not an address"
        #expect(throws: ConfigError.self) { try MailDispatcher.make(config: config, store: store, logger: logger) }
        config.smtpHost = nil
        #expect(try MailDispatcher.make(config: config, store: store, logger: logger) == nil)
        await database.close()
    }
}
