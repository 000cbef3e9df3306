import Foundation
import NIOCore
import Testing
import WharfCore
import WharfStorage

@testable import WharfServer

/// Issue 11: each scenario failed on the main branch before the fix it names.
@Suite("Console and admin hardening")
struct ConsoleHardeningTests {
    /// Finding 9.
    @Test("Signing in with a stale session cookie keeps the new session: its deletion is not sent after it")
    func staleCookieOnSignIn() async throws {
        try await RelayHarness.with { h in
            _ = try await h.makeAccount(email: "sam@example.com", username: "sam", role: .user)
            let browser = WebBrowser(port: h.port)
            browser.cookies["wharf_session"] = SessionTokens.generate()
            try await browser.get("/login")
            let signedIn = try await browser.post(
                "/login", [("email", "sam@example.com"), ("password", "a long password 1")])
            #expect(signedIn.status == 303)
            let sessionCookies = signedIn.setCookies.filter { $0.hasPrefix("wharf_session=") }
            #expect(sessionCookies.count == 1, "\(sessionCookies)")
            #expect(sessionCookies.allSatisfy { !$0.contains("Max-Age=0") })
            #expect(try await browser.get("/console").status == 200, "the first sign-in works")
        }
    }

    /// Finding 8.
    @Test("Enrolling two-factor and changing the email sign out the other sessions; a password change mails the owner")
    func sessionsEndOnSecurityChanges() async throws {
        try await RelayHarness.with(tune: AccountPagesTests.requireVerification) { h in
            let user = try await h.makeAccount(email: "uma@example.com", username: "uma", role: .user)
            try await h.store.markEmailVerified(userID: user.id)
            let laptop = WebBrowser(port: h.port)
            let phone = WebBrowser(port: h.port)
            try await laptop.signIn(email: "uma@example.com")
            try await phone.signIn(email: "uma@example.com")
            // Two-factor enrolment, with the password.
            try await laptop.get("/console/settings")
            try await laptop.post("/console/2fa/setup", [])
            let secret = try #require(try await h.store.twoFactorSecret(userID: user.id))
            let code = TwoFactorCodes.code(secret: secret, nowMillis: Int64(Date().timeIntervalSince1970 * 1000))
            let enabled = try await laptop.post(
                "/console/2fa/enable", [("code", code), ("password", "a long password 1")])
            #expect(enabled.status == 200)
            #expect(try await phone.get("/console").status == 303, "the other session ended")
            #expect(try await laptop.get("/console").status == 200, "the one that enrolled stays")
            try await h.store.disableTwoFactor(userID: user.id)

            // An email change, confirmed: every other session ends.
            let tablet = WebBrowser(port: h.port)
            try await tablet.signIn(email: "uma@example.com")
            try await laptop.get("/console/settings")
            let asked = try await laptop.post(
                "/console/settings/email", [("email", "uma.new@example.com"), ("password", "a long password 1")])
            #expect(asked.status == 303)
            let link = try #require(try await AccountPagesTests.mailLink(h, kind: "change_email"))
            #expect(try await laptop.get(link).status == 200)
            #expect(try await h.store.user(id: user.id)?.email == "uma.new@example.com")
            #expect(try await tablet.get("/console").status == 303, "the other session ended")
            #expect(try await laptop.get("/console").status == 200)

            // A password change: a security mail.
            let before = try await h.store.dueMail(limit: 100).filter { $0.kind == "security_alert" }.count
            try await laptop.get("/console/settings")
            let changed = try await laptop.post(
                "/console/settings/password", [("current", "a long password 1"), ("password", "another long one 2")])
            #expect(changed.status == 303)
            #expect(try await h.store.dueMail(limit: 100).filter { $0.kind == "security_alert" }.count == before + 1)
        }
    }

    /// Finding 13.
    @Test("An email-change link confirms only the address it was mailed to, not one requested after it")
    func emailLinkBoundToAddress() async throws {
        try await RelayHarness.with(tune: AccountPagesTests.requireVerification) { h in
            let user = try await h.makeAccount(email: "vic@example.com", username: "vic", role: .user)
            try await h.store.markEmailVerified(userID: user.id)
            let browser = WebBrowser(port: h.port)
            try await browser.signIn(email: "vic@example.com")
            try await browser.get("/console/settings")
            try await browser.post(
                "/console/settings/email", [("email", "vic.first@example.com"), ("password", "a long password 1")])
            let firstLink = try #require(try await AccountPagesTests.mailLink(h, kind: "change_email"))
            // The pending address changes without a new link (as in the window between the two writes of a
            // second request).
            try await h.store.setPendingEmail(userID: user.id, email: EmailAddress("mallory@example.com")!)
            let used = try await browser.get(firstLink)
            #expect(used.status != 200 || !used.body.contains("mallory"))
            #expect(try await h.store.user(id: user.id)?.email == "vic@example.com", "nothing unconfirmed is taken")
        }
    }

    /// Finding 5.
    @Test("Wrong passwords on a settings form are limited per account before bcrypt runs")
    func passwordChecksLimited() async throws {
        try await RelayHarness.with { h in
            _ = try await h.makeAccount(email: "wes@example.com", username: "wes", role: .user)
            let browser = WebBrowser(port: h.port)
            try await browser.signIn(email: "wes@example.com")
            var statuses: [Int] = []
            for _ in 0..<12 {
                try await browser.get("/console/settings")
                let page = try await browser.post(
                    "/console/settings/email", [("email", "wes2@example.com"), ("password", "wrong password 000")])
                statuses.append(page.status)
            }
            #expect(statuses.prefix(10).allSatisfy { $0 == 400 }, "\(statuses)")
            #expect(statuses.suffix(2).allSatisfy { $0 == 429 }, "\(statuses)")
        }
    }

    @Test("A full bcrypt queue refuses at once instead of queueing without end")
    func fullQueueRefuses() async throws {
        let queue = PasswordCheckQueue(running: 1, waiting: 1)
        let gate = DispatchSemaphore(value: 0)
        async let first: Void = queue.run { gate.wait() }
        try await Task.sleep(for: .milliseconds(100))
        async let second: Void = queue.run {}
        try await Task.sleep(for: .milliseconds(100))
        await #expect(throws: PasswordCheckQueue.Busy.self) { try await queue.run {} }
        gate.signal()
        try await first
        try await second
        try await queue.run {}
    }

    /// Finding 11.
    @Test("Every byte of a long password counts (bcrypt alone reads 72); older hashes still verify")
    func longPasswords() {
        let long = String(repeating: "p", count: 100)
        var differentTail = long
        differentTail.removeLast()
        differentTail += "q"
        let hash = PasswordHashing.hash(long, cost: 4)
        #expect(PasswordHashing.verify(long, hash: hash))
        #expect(!PasswordHashing.verify(differentTail, hash: hash))
        let at72 = String(repeating: "z", count: 72)
        #expect(!PasswordHashing.verify(at72 + "extra", hash: PasswordHashing.hash(at72, cost: 4)))
        let short = "a long password 1"
        #expect(PasswordHashing.hash(short, cost: 4).hasPrefix("$2"), "short passwords stay plain bcrypt")
        #expect(PasswordHashing.verify(short, hash: PasswordHashing.hash(short, cost: 4)))
    }

    /// Finding 7.
    @Test("Closing a support message that does not exist is a 404 and writes no audit row")
    func closeMissingMessage() async throws {
        try await RelayHarness.with { h in
            _ = try await h.makeAccount(email: "sue@example.com", username: "sue", role: .support)
            let browser = WebBrowser(port: h.port)
            try await browser.signIn(email: "sue@example.com")
            try await browser.get("/admin/support")
            let before = try await h.store.auditEntries().count
            let closed = try await browser.post("/admin/support/msg_nope/close", [])
            #expect(closed.status == 404)
            #expect(try await h.store.auditEntries().count == before)
        }
    }

    /// Finding 12.
    @Test("A channel at the cloud metadata address is refused by the admin form and never stored")
    func metadataChannelRefused() async throws {
        try await RelayHarness.with { h in
            _ = try await h.makeAccount(email: "ann@example.com", username: "ann", role: .admin)
            let browser = WebBrowser(port: h.port)
            try await browser.signIn(email: "ann@example.com")
            for base in ["http://169.254.169.254/v1", "http://[::ffff:169.254.169.254]/v1", "http://10.0.0.5/v1"] {
                try await browser.get("/admin/channels")
                let added = try await browser.post(
                    "/admin/channels",
                    [
                        ("name", "evil"), ("provider", "openai-compatible"), ("base_url", base), ("api_key", "k"),
                        ("models", "m"), ("priority", "0"), ("weight", "1"),
                    ])
                #expect(added.status == 400, "\(base)")
                #expect(try await h.store.channels().allSatisfy { $0.name != "evil" })
            }
        }
    }

    /// Finding 10: a key's creation no longer reloads every key (and routes, prices, balances) on every node.
    @Test("A key created or revoked reaches the relay by loading that key alone, with hundreds of others stored")
    func keyChangesAreDeltas() async throws {
        try await RelayHarness.with { h in
            let other = try await h.makeAccount(email: "many@example.com", username: "many", role: .user)
            for i in 0..<300 { _ = try await h.store.createKey(userID: other.id, name: "k\(i)") }
            let settled = try await h.eventually(5) {
                try await h.services.snapshots.snapshot.keysVersion == h.store.versions().keys
            }
            #expect(settled)
            let before = h.services.snapshots.snapshot
            #expect(before.keys.count == 301)
            let (record, secret) = try await h.store.createKey(userID: h.user.id, name: "fresh")
            #expect(try await h.store.keysChanged(since: before.keysVersion).map(\.key.id) == [record.id])
            let works = try await h.eventually(5) {
                try await h.request("/v1/chat/completions", body: RelayHarness.chat(), key: secret.value).status == 200
            }
            #expect(works)
            #expect(h.services.snapshots.snapshot.version == before.version, "no full reload")
            try await h.store.revokeKey(id: record.id)
            let refused = try await h.eventually(5) {
                try await h.request("/v1/chat/completions", body: RelayHarness.chat(), key: secret.value).status == 401
            }
            #expect(refused, "a revoked key is refused at once (the connection's remembered key is dropped too)")
            #expect(h.services.snapshots.snapshot.keys.count == 301)
        }
    }

    /// Finding 10 (the audit page) and the review's point that an incremental check never looks back.
    @Test("The audit page checks new rows on each view and every row in the background, so an old edit still shows")
    func auditMonitor() async throws {
        try await RelayHarness.with { h in
            for i in 0..<30 { try await h.store.audit(actorID: nil, action: "test", target: "t\(i)") }
            let monitor = AuditMonitor(store: h.store, clock: .system, fullEveryMillis: 0)
            #expect(try await monitor.verdict().verdict.ok)
            #expect(try await h.eventually(5) { try await monitor.verdict().fullAt != nil })
            try await h.runtime.database.withConnection { db in
                try await db.raw("UPDATE audit_log SET detail = 'edited' WHERE seq = 2").run()
            }
            let found = try await h.eventually(5) { try await monitor.verdict().verdict.brokenAt == 2 }
            #expect(found, "the background walk finds the edit below the checkpoint")
        }
    }

    static let noLoopback: @Sendable (inout WharfConfig) -> Void = { $0.upstreamAddresses.allowLoopback = false }

    /// Finding 12, at connect time: the relay resolves the channel's host itself and keeps only allowed addresses,
    /// so a name that points somewhere forbidden later (DNS rebinding) gets no connection.
    @Test("The relay never connects to an address the policy refuses, whatever the channel was saved with")
    func relayAppliesPolicyAtConnect() async throws {
        try await RelayHarness.with(tune: Self.noLoopback) { h in
            let answer = try await h.request("/v1/chat/completions", body: RelayHarness.chat())
            #expect(answer.status >= 500, "\(answer.status) \(answer.body)")
            #expect(h.stubLog.all.isEmpty, "nothing reached the (loopback) upstream")
            #expect(try await h.flushedBalance() == Money(micros: 5_000_000), "and nothing was charged")
            // The admin's "Test" is checked the same way, and sends nothing.
            _ = try await h.makeAccount(email: "ops@example.com", username: "ops", role: .admin)
            let browser = WebBrowser(port: h.port)
            try await browser.signIn(email: "ops@example.com")
            let channel = try #require(try await h.store.channels().first)
            try await browser.get("/admin/channels")
            let tested = try await browser.post("/admin/channels/\(channel.id)/test", [])
            #expect(tested.body.contains("Test request failed"))
            #expect(h.stubLog.all.isEmpty)
        }
    }

    static let threeKeys: @Sendable (inout WharfConfig) -> Void = { $0.maxKeysPerAccount = 3 }

    /// Finding 10.
    @Test("Keys per account have a limit, and the CSV export streams every row by keyset")
    func keyLimitAndCSV() async throws {
        try await RelayHarness.with(tune: Self.threeKeys) { h in
            _ = try await h.makeAccount(email: "kim@example.com", username: "kim", role: .user)
            let browser = WebBrowser(port: h.port)
            try await browser.signIn(email: "kim@example.com")
            var statuses: [Int] = []
            for i in 0..<4 {
                try await browser.get("/console/keys")
                statuses.append(try await browser.post("/console/keys", [("name", "k\(i)")]).status)
            }
            #expect(statuses == [200, 200, 200, 400])
            // 2,500 requests of the harness user's key, then the CSV of them.
            let keyID = try #require(try await h.store.keys(userID: h.user.id).first?.id)
            let records = (0..<2_500).map { i in
                UsageRecord(
                    id: String(format: "req_%05d", i), createdAt: 1_000 + Int64(i / 3), userID: h.user.id, keyID: keyID,
                    model: "gpt-4o-mini", channelID: nil, endpoint: "chat",
                    usage: TokenUsage(promptTokens: 1, completionTokens: 1), cost: Money(micros: 1), latencyMillis: 1,
                    timeToFirstTokenMillis: nil, status: "ok", stream: false, clientIP: nil)
            }
            try await h.store.writeUsage(records)
            let alice = WebBrowser(port: h.port)
            try await h.store.setPasswordHash(
                userID: h.user.id, hash: try await AccountService.hash("a long password 1", cost: 4))
            try await alice.signIn(email: "alice@example.com")
            let csv = try await alice.get("/console/usage.csv")
            let lines = csv.body.split(separator: "\r\n")
            #expect(lines.count == 2_501)
            #expect(Set(lines.dropFirst().map { $0.split(separator: ",")[1] }).count == 2_500, "each row once")
        }
    }
}
