import Foundation
import Testing
import WharfCore
import WharfServer
import WharfStorage

@Suite("Two-factor sign-in, Telegram sign-in and email change")
struct TwoFactorAndTelegramTests {
    static let botToken = "123456:TEST-token_abc"

    /// Query string of a Telegram login proof signed with `botToken`.
    static func telegramQuery(id: String, authDate: Int64, token: String = botToken) -> String {
        let fields = ["id": id, "first_name": "Tess", "username": "tess", "auth_date": "\(authDate)"]
        let hash = TelegramLogin.sign(fields, botToken: token)
        return (fields.map { "\($0.key)=\($0.value)" } + ["hash=\(hash)"]).joined(separator: "&")
    }

    /// The Telegram redirect path of the widget on `page` (it carries the browser's state).
    static func telegramPath(_ page: WebBrowser.Page) -> String? {
        page.body.firstMatch(of: /data-auth-url="https?:\/\/[^\/"]+(\/login\/telegram\/[A-Za-z0-9_-]+)"/).map {
            String($0.1)
        }
    }

    @Test("A one-time code matches its own step and one either side, and nothing else")
    func codeWindow() {
        let secret = TwoFactorCodes.newSecret()
        let now: Int64 = 1_800_000_000_000
        let step = now / 30_000
        #expect(
            TwoFactorCodes.matchingStep(
                secret: secret, code: TwoFactorCodes.code(secret: secret, nowMillis: now), nowMillis: now) == step)
        #expect(
            TwoFactorCodes.matchingStep(
                secret: secret, code: TwoFactorCodes.code(secret: secret, nowMillis: now - 30_000), nowMillis: now)
                == step - 1)
        #expect(
            TwoFactorCodes.matchingStep(
                secret: secret, code: TwoFactorCodes.code(secret: secret, nowMillis: now + 30_000), nowMillis: now)
                == step + 1)
        // A code from two or more steps away is refused (skipping the rare step whose code repeats one inside
        // the window by chance).
        let window = Set((-1...1).map { TwoFactorCodes.code(secret: secret, nowMillis: now + Int64($0) * 30_000) })
        let outside = [-3, -2, 2, 3].map { TwoFactorCodes.code(secret: secret, nowMillis: now + Int64($0) * 30_000) }
            .filter { !window.contains($0) }
        #expect(!outside.isEmpty)
        for code in outside {
            #expect(TwoFactorCodes.matchingStep(secret: secret, code: code, nowMillis: now) == nil)
        }
        #expect(TwoFactorCodes.matchingStep(secret: secret, code: "12345", nowMillis: now) == nil)
        #expect(TwoFactorCodes.matchingStep(secret: secret, code: "abcdef", nowMillis: now) == nil)
        #expect(TwoFactorCodes.authenticatorURL(secret: secret, account: "a@example.com").hasPrefix("otpauth://totp/"))
    }

    @Test("A Telegram proof is accepted only with the right signature and within five minutes")
    func telegramProof() throws {
        let now: Int64 = 1_800_000_000
        let fields = ["id": "42", "username": "tess", "auth_date": "\(now - 10)"]
        var signed = fields
        signed["hash"] = TelegramLogin.sign(fields, botToken: Self.botToken)
        let identity = try TelegramLogin.verify(signed, botToken: Self.botToken, nowSeconds: now)
        #expect(identity.id == "42")
        #expect(throws: TelegramLogin.Failure.badSignature) {
            try TelegramLogin.verify(signed, botToken: "123456:other", nowSeconds: now)
        }
        var tampered = signed
        tampered["id"] = "43"
        #expect(throws: TelegramLogin.Failure.badSignature) {
            try TelegramLogin.verify(tampered, botToken: Self.botToken, nowSeconds: now)
        }
        #expect(throws: TelegramLogin.Failure.expired) {
            try TelegramLogin.verify(signed, botToken: Self.botToken, nowSeconds: now + 301)
        }
        #expect(throws: TelegramLogin.Failure.missingFields) {
            try TelegramLogin.verify(["id": "42"], botToken: Self.botToken, nowSeconds: now)
        }
    }

    @Test("With two-factor on, sign-in needs a fresh code or an unused backup code; each works once")
    func twoFactorSignIn() async throws {
        try await RelayHarness.with { h in
            let browser = WebBrowser(port: h.port)
            try await browser.signUpAndIn(email: "tara@example.com", username: "tara")
            let tara = try #require(try await h.store.user(email: "tara@example.com"))
            try await browser.get("/console/settings")
            let setup = try await browser.post("/console/2fa/setup", [])
            #expect(setup.body.contains("otpauth://totp/"))
            let secret = try #require(try await h.store.twoFactorSecret(userID: tara.id))
            let now = Int64(Date().timeIntervalSince1970 * 1000)
            let wrong = try await browser.post("/console/2fa/enable", [("code", "000000")])
            #expect(wrong.status == 400 || TwoFactorCodes.code(secret: secret, nowMillis: now) == "000000")
            let noPassword = try await browser.post(
                "/console/2fa/enable", [("code", TwoFactorCodes.code(secret: secret, nowMillis: now))])
            #expect(noPassword.status == 400, "enrolling asks for the password")
            let enabled = try await browser.post(
                "/console/2fa/enable",
                [("code", TwoFactorCodes.code(secret: secret, nowMillis: now)), ("password", "a long password 1")])
            #expect(enabled.status == 200)
            let codes = enabled.body.matches(of: /<li><code>([a-z0-9]{4}-[a-z0-9]{4})<\/code><\/li>/).map {
                String($0.1)
            }
            #expect(codes.count == 10)
            #expect(try await h.store.dueMail(limit: 50).contains { $0.kind == "security_alert" }, "the owner is told")
            try await browser.get("/console")
            #expect(try await browser.post("/logout", []).status == 303)

            try await browser.get("/login")
            let first = try await browser.post(
                "/login", [("email", "tara@example.com"), ("password", "a long password 1")])
            #expect(first.location == "/login/2fa", "the password alone does not sign in")
            #expect(try await browser.get("/console").status == 303)
            try await browser.get("/login/2fa")
            let replay = try await browser.post(
                "/login/2fa", [("code", TwoFactorCodes.code(secret: secret, nowMillis: now))])
            #expect(replay.status == 401, "the code used to turn 2FA on does not work again")
            try await browser.get("/login")
            try await browser.post("/login", [("email", "tara@example.com"), ("password", "a long password 1")])
            try await browser.get("/login/2fa")
            let next = try await browser.post(
                "/login/2fa", [("code", TwoFactorCodes.code(secret: secret, nowMillis: now + 30_000))])
            #expect(next.status == 303)
            #expect(try await browser.get("/console").status == 200)
            try await browser.post("/logout", [])

            for (attempt, expected) in [(codes[0], 303), (codes[0], 401)] {
                try await browser.get("/login")
                try await browser.post("/login", [("email", "tara@example.com"), ("password", "a long password 1")])
                try await browser.get("/login/2fa")
                let page = try await browser.post("/login/2fa", [("code", attempt.uppercased())])
                #expect(page.status == expected)
                if page.status == 303 {
                    try await browser.get("/console")
                    try await browser.post("/logout", [])
                }
            }
            #expect(try await h.store.backupCodesLeft(userID: tara.id) == 9)
            let actions = try await h.store.auditEntries().map(\.action)
            #expect(actions.contains("account.2fa_enable") && actions.contains("auth.backup_code_used"))
        }
    }

    @Test("Telegram: a signed-in user confirms the link; then the proof signs in once, and stale or forged proofs fail")
    func telegramSignIn() async throws {
        let tune: @Sendable (inout WharfConfig) -> Void = {
            $0.telegramBotToken = TwoFactorAndTelegramTests.botToken
            $0.telegramBotName = "wharf_bot"
        }
        try await RelayHarness.with(tune: tune) { h in
            let browser = WebBrowser(port: h.port)
            try await browser.signUpAndIn(email: "tess@example.com", username: "tess")
            let login = try await WebBrowser(port: h.port).send("/login", method: .GET, body: nil)
            #expect(login.body.contains("data-telegram-login=\"wharf_bot\""))
            #expect(login.contentSecurityPolicy?.contains("script-src https://telegram.org") == true)
            let register = try await WebBrowser(port: h.port).get("/register")
            #expect(register.contentSecurityPolicy?.contains("script-src") == false, "no script anywhere else")
            let settings = try await browser.get("/console/settings")
            let linkPath = try #require(Self.telegramPath(settings))
            let now = Int64(Date().timeIntervalSince1970)
            let query = Self.telegramQuery(id: "777", authDate: now)
            let confirm = try await browser.get(linkPath + "?" + query)
            #expect(confirm.status == 200)
            let tess = try #require(try await h.store.user(email: "tess@example.com"))
            #expect(try await h.store.user(id: tess.id)?.telegramID == nil, "a GET alone does not link")
            let fields = try #require(URLComponents(string: "/?" + query)?.queryItems).map { ($0.name, $0.value ?? "") }
            let noPassword = try await browser.post("/login/telegram/link", fields + [("password", "wrong")])
            #expect(noPassword.status == 403, "linking needs the account's password")
            let freshQuery = Self.telegramQuery(id: "777", authDate: now - 1)
            try await browser.get(linkPath + "?" + freshQuery)
            let fresh = try #require(URLComponents(string: "/?" + freshQuery)?.queryItems).map {
                ($0.name, $0.value ?? "")
            }
            let linked = try await browser.post("/login/telegram/link", fresh + [("password", "a long password 1")])
            #expect(linked.status == 303)
            #expect(try await h.store.user(id: tess.id)?.telegramID == "777")

            let phone = WebBrowser(port: h.port)
            let phonePath = try #require(Self.telegramPath(try await phone.get("/login")))
            let signedIn = try await phone.get(phonePath + "?" + Self.telegramQuery(id: "777", authDate: now - 2))
            #expect(signedIn.status == 303)
            #expect(try await phone.get("/console").status == 200)
            let replay = try await WebBrowser(port: h.port).get(
                phonePath + "?" + Self.telegramQuery(id: "777", authDate: now - 2))
            #expect(replay.status == 403)

            let victim = WebBrowser(port: h.port)
            try await victim.get("/login")
            let crafted = try await victim.get(phonePath + "?" + Self.telegramQuery(id: "777", authDate: now - 3))
            #expect(crafted.status == 403, "a redirect made for another browser does not sign this one in")
            let other = WebBrowser(port: h.port)
            let otherPath = try #require(Self.telegramPath(try await other.get("/login")))
            let reused = try await other.get(otherPath + "?" + Self.telegramQuery(id: "777", authDate: now - 2))
            #expect(reused.status == 403, "each proof is accepted once")
            let stale = try await other.get(otherPath + "?" + Self.telegramQuery(id: "777", authDate: now - 400))
            #expect(stale.status == 403)
            let forged = try await other.get(
                otherPath + "?" + Self.telegramQuery(id: "777", authDate: now - 4, token: "999:forged"))
            #expect(forged.status == 403)
            let stranger = try await other.get(otherPath + "?" + Self.telegramQuery(id: "888", authDate: now - 5))
            #expect(stranger.status == 403)
        }
    }

    @Test("An email change takes effect only when the link sent to the new address is opened")
    func emailChange() async throws {
        try await RelayHarness.with(tune: AccountPagesTests.requireVerification) { h in
            try await h.makeAccount(email: "uma@example.com", username: "uma", role: .user)
            let browser = WebBrowser(port: h.port)
            try await browser.signIn(email: "uma@example.com")
            try await browser.get("/console/settings")
            let wrong = try await browser.post(
                "/console/settings/email", [("email", "uma2@example.com"), ("password", "nope")])
            #expect(wrong.status == 400)
            let started = try await browser.post(
                "/console/settings/email", [("email", "uma2@example.com"), ("password", "a long password 1")])
            #expect(started.status == 303)
            #expect(try await h.store.user(email: "uma@example.com") != nil, "the old address stays until confirmed")
            let mail = try #require(try await h.store.dueMail(limit: 10).first { $0.kind == "change_email" })
            #expect(mail.recipient == "uma2@example.com")
            let link = try #require(try await AccountPagesTests.mailLink(h, kind: "change_email"))
            let done = try await browser.get(link)
            #expect(done.status == 200)
            #expect(try await h.store.user(email: "uma2@example.com") != nil)
            #expect(try await h.store.user(email: "uma@example.com") == nil)
            let notice = try #require(try await h.store.dueMail(limit: 20).first { $0.kind == "email_changed" })
            #expect(notice.recipient == "uma@example.com", "the old address is told")

            try await browser.get("/console/settings")
            try await browser.post(
                "/console/settings/email", [("email", "evil@example.com"), ("password", "a long password 1")])
            let pending = try #require(try await AccountPagesTests.mailLink(h, kind: "change_email"))
            try await browser.get("/console/settings")
            let changed = try await browser.post(
                "/console/settings/password", [("current", "a long password 1"), ("password", "another long password")])
            #expect(changed.status == 303)
            let late = try await browser.get(pending)
            #expect(late.status == 400, "a password change ends pending email changes")
            #expect(try await h.store.user(email: "evil@example.com") == nil)
        }
    }
}
