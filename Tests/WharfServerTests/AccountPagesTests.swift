import Foundation
import Testing
import WharfCore
import WharfStorage
import WharfTestSupport

@testable import WharfServer

@Suite("Sign-up, email confirmation, password reset, language and hostile input")
struct AccountPagesTests {
    static let requireVerification: @Sendable (inout WharfConfig) -> Void = {
        $0.requireEmailVerification = "true"
        $0.publicURL = "https://wharf.example"
    }

    /// The link of the newest queued mail of `kind`.
    static func mailLink(_ h: RelayHarness, kind: String) async throws -> String? {
        let mails = try await h.store.dueMail(limit: 100).filter { $0.kind == kind }
        guard let mail = mails.last, let message = QueuedMail.decode(mail.message),
            let range = message.text.range(
                of: #"https://wharf\.example/[a-z-]+\?token=[A-Za-z0-9_-]+"#, options: .regularExpression)
        else { return nil }
        return String(message.text[range]).replacingOccurrences(of: "https://wharf.example", with: "")
    }

    @Test("Sign-up records age and policy acceptance, and the emailed link confirms the address once")
    func emailConfirmation() async throws {
        try await RelayHarness.with(tune: Self.requireVerification) { h in
            let browser = WebBrowser(port: h.port)
            try await browser.get("/register")
            let registered = try await browser.post(
                "/register",
                [
                    ("email", "Gina@Example.com"), ("username", "gina"), ("password", "a long password 1"),
                    ("phone", "+1 (555) 010-9999"), ("age", "on"), ("policy", "on"),
                ])
            #expect(registered.body.contains("Check your email"))
            try await browser.get("/login")
            let early = try await browser.post(
                "/login", [("email", "gina@example.com"), ("password", "a long password 1")])
            #expect(early.status == 403)
            let link = try #require(try await Self.mailLink(h, kind: "verify_email"))
            let mail = try #require(try await h.store.dueMail(limit: 10).first { $0.kind == "verify_email" })
            #expect(mail.recipient == "Gina@Example.com")
            let confirmed = try await browser.get(link)
            #expect(confirmed.status == 200)
            #expect(confirmed.body.contains("Email confirmed"))
            let reused = try await browser.get(link)
            #expect(reused.status == 400, "a confirmation link works once")
            try await browser.signIn(email: "gina@example.com")
            let gina = try #require(try await h.store.user(email: "gina@example.com"))
            #expect(gina.policyVersion == WharfConfig().policyVersion)
            #expect(gina.phone == "+1 (555) 010-9999")
            #expect(gina.emailVerifiedAt != nil)
        }
    }

    @Test("Sign-up refuses a missing age confirmation or policy acceptance, and stores nothing")
    func consentRequired() async throws {
        try await RelayHarness.with { h in
            let browser = WebBrowser(port: h.port)
            try await browser.get("/register")
            let noAge = try await browser.post(
                "/register",
                [("email", "h@example.com"), ("username", "hana"), ("password", "a long password 1"), ("policy", "on")])
            #expect(noAge.status == 400)
            #expect(noAge.body.contains("at least 18"))
            let noPolicy = try await browser.post(
                "/register",
                [("email", "h@example.com"), ("username", "hana"), ("password", "a long password 1"), ("age", "on")])
            #expect(noPolicy.status == 400)
            #expect(try await h.store.user(email: "h@example.com") == nil)
        }
    }

    @Test("A reset link sets a new password once, signs out other sessions, and the old password stops working")
    func passwordReset() async throws {
        try await RelayHarness.with(tune: Self.requireVerification) { h in
            try await h.makeAccount(
                email: "ivan@example.com", username: "ivan", role: .user, password: "the old password")
            let other = WebBrowser(port: h.port)
            try await other.signIn(email: "ivan@example.com", password: "the old password")
            let browser = WebBrowser(port: h.port)
            try await browser.get("/forgot")
            let sent = try await browser.post("/forgot", [("email", "ivan@example.com")])
            let unknown = try await browser.post("/forgot", [("email", "nobody@example.com")])
            #expect(sent.status == unknown.status, "the answer does not tell which emails have accounts")
            #expect(sent.body.contains("Check your email") && unknown.body.contains("Check your email"))
            let link = try #require(try await Self.mailLink(h, kind: "reset_password"))
            let form = try await browser.get(link)
            #expect(form.status == 200)
            let token = String(link.split(separator: "=").last ?? "")
            let weak = try await browser.post("/reset", [("token", token), ("password", "short")])
            #expect(weak.status == 400)
            try await browser.get(link)
            let done = try await browser.post("/reset", [("token", token), ("password", "the new password")])
            #expect(done.status == 303)
            try await browser.get(link)
            let again = try await browser.post("/reset", [("token", token), ("password", "another new password")])
            #expect(again.status == 400, "a reset link works once")
            #expect(try await other.get("/console").status == 303, "other sessions were signed out")
            try await browser.get("/login")
            let old = try await browser.post(
                "/login", [("email", "ivan@example.com"), ("password", "the old password")])
            #expect(old.status == 401)
            try await browser.signIn(email: "ivan@example.com", password: "the new password")
        }
    }

    @Test("Pages speak Simplified Chinese by choice or by Accept-Language, and English otherwise")
    func languages() async throws {
        try await RelayHarness.with { h in
            let browser = WebBrowser(port: h.port)
            let chosen = try await browser.get("/register?lang=zh-CN")
            #expect(chosen.body.contains("<html lang=\"zh-CN\">"))
            #expect(chosen.body.contains("创建账户"))
            let negotiated = WebBrowser(port: h.port)
            negotiated.acceptLanguage = "zh-CN,zh;q=0.9,en;q=0.8"
            #expect(try await negotiated.get("/login").body.contains("登录"))
            let english = WebBrowser(port: h.port)
            english.acceptLanguage = "fr-FR,en;q=0.5"
            #expect(try await english.get("/login").body.contains("<html lang=\"en\">"))
        }
    }

    @Test("Hostile input comes back escaped or is refused with a clear message, never a server error")
    func hostileInput() async throws {
        try await RelayHarness.with { h in
            let browser = WebBrowser(port: h.port)
            try await browser.get("/contact")
            let script = "<script>alert(1)</script>"
            let sent = try await browser.post(
                "/contact", [("email", "eve@example.com"), ("subject", script), ("message", "' OR 1=1 -- \(script)")])
            #expect(sent.status == 200)
            let stored = try await h.store.supportMessages()
            #expect(stored.first?.subject == script, "stored as written, escaped when shown")

            try await browser.get("/register")
            let badName = try await browser.post(
                "/register",
                [
                    ("email", "eve@example.com"), ("username", script), ("password", "a long password 1"),
                    ("age", "on"), ("policy", "on"),
                ])
            #expect(badName.status == 400)
            #expect(!badName.body.contains("<script>alert"))
            #expect(badName.body.contains("&lt;script&gt;"))
            let long = try await browser.post(
                "/register",
                [
                    ("email", "eve@example.com"), ("username", String(repeating: "x", count: 5000)),
                    ("password", "a long password 1"), ("age", "on"), ("policy", "on"),
                ])
            #expect(long.status == 400)
            let invalid = try await browser.postRaw("/register", "_csrf=\(browser.lastCSRF)&email=%FF%FE&username=a")
            #expect(invalid.status == 400)
            #expect(invalid.body.contains("could not be read"))
            let huge = try await browser.postRaw(
                "/contact", "_csrf=\(browser.lastCSRF)&message=" + String(repeating: "a", count: 70_000))
            #expect(huge.status == 413)
            #expect(try await h.store.user(email: "eve@example.com") == nil)

            try await h.makeAccount(email: "admin@example.com", username: "admin", role: .admin)
            let admin = WebBrowser(port: h.port)
            try await admin.signIn(email: "admin@example.com")
            let inbox = try await admin.get("/admin/support")
            #expect(inbox.body.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
            #expect(!inbox.body.contains(script))
            let search = try await admin.get("/admin/users?q=%27%20OR%201%3D1%20--")
            #expect(search.status == 200)
            #expect(!search.body.contains("alice@example.com"))
        }
    }

    @Test("A quote joined to a combining mark is still escaped, so reflected input cannot leave its attribute")
    func combiningMarks() async throws {
        try await RelayHarness.with { h in
            let page = try await WebBrowser(port: h.port).get(
                "/reset?token=%22%CC%81%20onfocus%3D%22x%22%3E%3Cscript%3E")
            #expect(page.status == 200)
            #expect(!page.body.contains("<script>"))
            // Compared as bytes: as characters, a quote and its mark are one character equal to neither.
            let body = Array(page.body.utf8)
            #expect(!body.contains(Array((String(UnicodeScalar(0x22)) + "\u{301} onfocus").utf8)))
            #expect(
                body.contains(Array("&quot;\u{301} onfocus=&quot;x&quot;&gt;&lt;script&gt;".utf8)), "the mark is kept")
        }
    }

    @Test(
        "A character that joins the next one (Unicode Prepend, U+0600) before a quote or bracket does not stop it being escaped"
    )
    func prependCharacters() async throws {
        try await RelayHarness.with { h in
            // "\u{600}<form action=/admin/x>" and "\u{600}\"" as an attacker would send them.
            let page = try await WebBrowser(port: h.port).get(
                "/reset?token=%D8%80%3Cform%20action%3D%2Fadmin%2Fx%3E%D8%80%22%20onfocus%3D%D8%80%27x%D8%80%26")
            #expect(page.status == 200)
            #expect(!page.body.contains("<form action=/admin/x>"))
            let joinedBracket = "\u{600}<"
            let joinedQuote = "\u{600}" + String(UnicodeScalar(0x22))
            #expect(!page.body.contains(joinedBracket))
            #expect(!page.body.contains(joinedQuote))
            #expect(page.body.contains("&lt;form action=/admin/x&gt;"))
        }
    }

    @Test("The first-run setup page creates the first admin with the one-time token, once")
    func setupPage() async throws {
        try await RelayHarness.with { h in
            let token = try #require(try await SetupController.issueTokenIfNeeded(store: h.store))
            let browser = WebBrowser(port: h.port)
            let form = try await browser.get("/setup")
            #expect(form.body.contains("action=\"/setup/form\""))
            let wrong = try await browser.post(
                "/setup/form",
                [("token", "setup-wrong"), ("email", "root@example.com"), ("password", "a long password 1")])
            #expect(wrong.status == 403)
            let done = try await browser.post(
                "/setup/form", [("token", token), ("email", "root@example.com"), ("password", "a long password 1")])
            #expect(done.status == 303)
            #expect(try await h.store.user(email: "root@example.com")?.role == .admin)
            #expect(try await browser.get("/setup").location == "/login", "setup is gone once an admin exists")
            try await browser.signIn(email: "root@example.com")
            #expect(try await browser.get("/admin/users").status == 200)
        }
    }

    @Test("Every template key exists in both languages")
    func templateKeysAreTranslated() throws {
        let keys = TemplateKeys.used()
        #expect(keys.count > 100)
        let missing = keys.filter { Translations.english[$0] == nil || Translations.simplifiedChinese[$0] == nil }
        #expect(missing.isEmpty, "missing: \(missing.sorted())")
    }
}
