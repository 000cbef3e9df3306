import Foundation
import Testing
import WharfCore
import WharfServer
import WharfStorage

@Suite("Console pages")
struct ConsolePagesTests {
    @Test("A new user registers, signs in, creates a key once-shown, and the key works on the API")
    func registerSignInCreateKey() async throws {
        try await RelayHarness.with { h in
            let browser = WebBrowser(port: h.port)
            try await browser.signUpAndIn(email: "bob@example.com", username: "bob")
            let dashboard = try await browser.get("/console")
            #expect(dashboard.status == 200)
            #expect(dashboard.body.contains("id=\"balance\">0.00"))
            try await browser.get("/console/keys")
            let created = try await browser.post(
                "/console/keys", [("name", "laptop"), ("models", "gpt-4o-mini"), ("ips", ""), ("limit", "2.5")])
            #expect(created.status == 200)
            let secret = try #require(
                created.body.range(of: #"sk-[A-Za-z0-9]{48}"#, options: .regularExpression).map {
                    String(created.body[$0])
                })
            let again = try await browser.get("/console/keys")
            #expect(!again.body.contains(secret), "the secret is shown only once")
            #expect(again.body.contains("laptop"))
            let bob = try #require(try await h.store.user(email: "bob@example.com"))
            _ = try await h.store.post(userID: bob.id, kind: .grant, amount: Money(micros: 1_000_000))
            let works = try await h.eventually {
                try await h.request("/v1/chat/completions", body: RelayHarness.chat(), key: secret).status == 200
            }
            #expect(works)
            let denied = try await h.request(
                "/v1/chat/completions", body: RelayHarness.chat(model: "text-embedding-3-small"), key: secret)
            #expect(denied.status == 403, "the key's model allowlist from the form is enforced")
        }
    }

    @Test("A form posted without its CSRF token is refused with 403 and changes nothing")
    func csrfMissing() async throws {
        try await RelayHarness.with { h in
            let browser = WebBrowser(port: h.port)
            try await browser.signUpAndIn(email: "carol@example.com", username: "carol")
            try await browser.get("/console/keys")
            let forged = try await browser.post("/console/keys", [("name", "forged")], csrf: false)
            #expect(forged.status == 403)
            let wrong = try await browser.send(
                "/console/keys", method: .POST, body: "name=forged&_csrf=" + String(repeating: "A", count: 43))
            #expect(wrong.status == 403)
            let carol = try #require(try await h.store.user(email: "carol@example.com"))
            #expect(try await h.store.keys(userID: carol.id).isEmpty)
            let signedOut = WebBrowser(port: h.port)
            let anonymous = try await signedOut.post("/contact", [("email", "x@example.com")], csrf: false)
            #expect(anonymous.status == 403)
        }
    }

    @Test("One user cannot see, revoke or filter by another user's keys, log or sessions")
    func usersAreIsolated() async throws {
        try await RelayHarness.with { h in
            // Alice (the harness user) has a key and a logged request.
            #expect(try await h.request("/v1/chat/completions", body: RelayHarness.chat()).status == 200)
            await h.services.writer.flush()
            let aliceKey = try #require(try await h.store.keys(userID: h.user.id).first)
            let mallory = WebBrowser(port: h.port)
            try await mallory.signUpAndIn(email: "mallory@example.com", username: "mallory")
            let keys = try await mallory.get("/console/keys")
            #expect(!keys.body.contains(aliceKey.displayPrefix))
            let revoke = try await mallory.post("/console/keys/\(aliceKey.id)/revoke", [])
            #expect(revoke.status == 404)
            #expect(try await h.store.keys(userID: h.user.id).first?.status == .active)
            let log = try await mallory.get("/console/usage?key=\(aliceKey.id)")
            #expect(log.body.contains("gpt-4o-mini") == false)
            let csv = try await mallory.get("/console/usage.csv")
            #expect(csv.body.split(separator: "\r\n").count == 1, "only the header row")
            let billing = try await mallory.get("/console/billing")
            #expect(!billing.body.contains("grant"))
        }
    }

    @Test("The request log and its CSV show relayed requests, each with content stored: no")
    func requestLogShowsRequests() async throws {
        try await RelayHarness.with { h in
            let browser = WebBrowser(port: h.port)
            try await h.store.setPasswordHash(
                userID: h.user.id, hash: try await AccountService.hash("a long password 1", cost: 4))
            try await browser.signIn(email: "alice@example.com")
            for _ in 0..<3 {
                #expect(try await h.request("/v1/chat/completions", body: RelayHarness.chat()).status == 200)
            }
            await h.services.writer.flush()
            let log = try await browser.get("/console/usage?model=gpt-4o-mini")
            #expect(log.body.contains("<td>no</td>"))
            #expect(log.body.contains("Matching requests: 3"))
            let csv = try await browser.get("/console/usage.csv?model=gpt-4o-mini")
            #expect(csv.contentType?.hasPrefix("text/csv") == true)
            let lines = csv.body.split(separator: "\r\n")
            #expect(lines.count == 4)
            #expect(lines.dropFirst().allSatisfy { $0.hasSuffix(",no") })
            let dashboard = try await browser.get("/console")
            #expect(dashboard.body.contains("id=\"requests-30d\">3"))
            #expect(dashboard.body.contains("<svg class=\"chart\""))
            let none = try await browser.get("/console/usage?model=other-model")
            #expect(none.body.contains("Matching requests: 0"))
            // The billing history charges the key's requests per writer batch, and names the key.
            let key = try #require(try await h.store.keys(userID: h.user.id).first)
            let billing = try await browser.get("/console/billing")
            #expect(billing.body.contains("Requests with key \(key.name)"))
            #expect(!billing.body.contains(key.id))
        }
    }

    @Test("Five wrong passwords lock the account for 15 minutes, even for the right password")
    func lockout() async throws {
        try await RelayHarness.with { h in
            let browser = WebBrowser(port: h.port)
            try await browser.signUpAndIn(email: "dave@example.com", username: "dave")
            let other = WebBrowser(port: h.port)
            try await other.get("/login")
            var statuses: [Int] = []
            for _ in 0..<5 {
                statuses.append(
                    try await other.post("/login", [("email", "dave@example.com"), ("password", "wrong password")])
                        .status)
            }
            #expect(statuses == [401, 401, 401, 401, 401], "a lock looks like any failure to a stranger")
            let right = try await other.post(
                "/login", [("email", "dave@example.com"), ("password", "a long password 1")])
            #expect(right.status == 401)
            #expect(right.body.contains("locked the account for 15 minutes"))
            let dave = try #require(try await h.store.user(email: "dave@example.com"))
            #expect(dave.lockedUntil != nil)
            let unknown = try await other.post("/login", [("email", "nobody@example.com"), ("password", "x")])
            #expect(unknown.status == 401 && unknown.body.contains("locked the account for 15 minutes"))
        }
    }

    @Test("Sign-out ends the session: the old cookie no longer opens the console")
    func signOut() async throws {
        try await RelayHarness.with { h in
            let browser = WebBrowser(port: h.port)
            try await browser.signUpAndIn(email: "erin@example.com", username: "erin")
            let stolen = browser.cookies["wharf_session"]
            try await browser.get("/console")
            let out = try await browser.post("/logout", [])
            #expect(out.status == 303)
            #expect(browser.cookies["wharf_session"] == nil)
            let replay = WebBrowser(port: h.port)
            replay.cookies["wharf_session"] = stolen
            let page = try await replay.get("/console")
            #expect(page.status == 303)
            #expect(page.location == "/login")
        }
    }

    @Test("A session can be ended from another session's settings page")
    func revokeOtherSession() async throws {
        try await RelayHarness.with { h in
            let phone = WebBrowser(port: h.port)
            try await phone.signUpAndIn(email: "faye@example.com", username: "faye")
            let laptop = WebBrowser(port: h.port)
            try await laptop.signIn(email: "faye@example.com")
            let settings = try await laptop.get("/console/settings")
            let faye = try #require(try await h.store.user(email: "faye@example.com"))
            let sessions = try await WebSessionStore(store: h.store, idleMillis: 60_000, absoluteMillis: 3_600_000)
                .list(userID: faye.id)
            #expect(sessions.count == 2)
            let phoneSession = try #require(
                sessions.first { KeyHasher.hash(phone.cookies["wharf_session"] ?? "") == $0.id })
            #expect(settings.body.contains(phoneSession.id))
            let ended = try await laptop.post("/console/sessions/\(phoneSession.id)/revoke", [])
            #expect(ended.status == 303)
            #expect(try await phone.get("/console").status == 303)
            #expect(try await laptop.get("/console").status == 200)
        }
    }

    @Test("Session cookies are HttpOnly and SameSite=Lax, and Secure once the public address is https")
    func cookieFlags() async throws {
        let tune: @Sendable (inout WharfConfig) -> Void = { $0.publicURL = "https://wharf.example" }
        try await RelayHarness.with(tune: tune) { h in
            let browser = WebBrowser(port: h.port)
            try await browser.get("/register")
            try await browser.post(
                "/register",
                [
                    ("email", "kai@example.com"), ("username", "kai"), ("password", "a long password 1"), ("age", "on"),
                    ("policy", "on"),
                ])
            try await browser.get("/login")
            let signIn = try await browser.post(
                "/login", [("email", "kai@example.com"), ("password", "a long password 1")])
            let session = try #require(signIn.setCookies.first { $0.hasPrefix("wharf_session=") })
            for flag in ["HttpOnly", "SameSite=Lax", "Secure", "Path=/"] {
                #expect(session.contains(flag), "\(flag) in \(session)")
            }
        }
        try await RelayHarness.with { h in
            let page = try await WebBrowser(port: h.port).get("/login")
            let csrf = try #require(page.setCookies.first { $0.hasPrefix("wharf_csrf=") })
            #expect(csrf.contains("HttpOnly") && csrf.contains("SameSite=Lax") && !csrf.contains("Secure"))
        }
    }

    @Test("A sign-in from a new device and network is announced by email; the same device again is not")
    func newSignInAlert() async throws {
        try await RelayHarness.with { h in
            let first = WebBrowser(port: h.port)
            try await first.signUpAndIn(email: "lou@example.com", username: "lou")
            let alerts = { try await h.store.dueMail(limit: 50).filter { $0.kind == "login_alert" } }
            let firstAlerts = try await alerts()
            #expect(firstAlerts.count == 1)
            #expect(firstAlerts.first?.recipient == "lou@example.com")
            let text = try #require(firstAlerts.first.flatMap { QueuedMail.decode($0.message) }?.text)
            #expect(text.contains("Chrome on Linux"))
            try await WebBrowser(port: h.port).signIn(email: "lou@example.com")
            #expect(try await alerts().count == 1, "a second session from the same browser and network is known")
        }
    }
}
