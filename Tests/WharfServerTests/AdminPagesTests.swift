import Foundation
import Testing
import WharfCore
import WharfServer
import WharfStorage

@Suite("Admin pages")
struct AdminPagesTests {
    static func admin(_ h: RelayHarness) async throws -> WebBrowser {
        try await h.makeAccount(email: "ops@example.com", username: "ops", role: .admin)
        let browser = WebBrowser(port: h.port)
        try await browser.signIn(email: "ops@example.com")
        return browser
    }

    @Test("An admin edits a channel's routing without retyping its key, and the relay follows the change")
    func editChannel() async throws {
        try await RelayHarness.with { h in
            let browser = try await Self.admin(h)
            let channel = try #require(try await h.store.channels().first)
            let form = try await browser.get("/admin/channels/\(channel.id)")
            #expect(form.body.contains(channel.baseURL))
            #expect(!form.body.contains("upstream-key-stub"), "the upstream key is never shown")
            let saved = try await browser.post(
                "/admin/channels/\(channel.id)",
                [
                    ("base_url", channel.baseURL), ("api_key", ""), ("models", "gpt-4o-mini, renamed"),
                    ("mapping", "renamed=gpt-4o-mini"), ("capabilities", "chat"), ("priority", "5"), ("weight", "2"),
                    ("region", "eu-west"), ("retains", "on"),
                ])
            #expect(saved.status == 303)
            let edited = try #require(try await h.store.channels().first { $0.id == channel.id })
            #expect(edited.models == ["gpt-4o-mini", "renamed"])
            #expect(edited.modelMapping == ["renamed": "gpt-4o-mini"])
            #expect(edited.region == "eu-west" && edited.priority == 5 && edited.dataPolicy.retains)
            try await h.store.setPrice(model: "renamed", price: RelayHarness.price)
            let routed = try await h.eventually {
                try await h.request("/v1/chat/completions", body: RelayHarness.chat(model: "renamed")).status == 200
            }
            #expect(routed, "the stored key still works and the mapping is live")
            let bad = try await browser.post(
                "/admin/channels/\(channel.id)",
                [("base_url", "ftp://x"), ("models", "a"), ("priority", "0"), ("weight", "1")])
            #expect(bad.status == 400)
            let privacy = try await WebBrowser(port: h.port).get("/privacy")
            #expect(privacy.body.contains("eu-west"), "the privacy page lists the channel's new region")
        }
    }

    @Test("Closing sign-up and posting an announcement take effect on the public pages")
    func siteSettings() async throws {
        try await RelayHarness.with { h in
            let browser = try await Self.admin(h)
            try await browser.get("/admin/settings")
            let saved = try await browser.post("/admin/settings", [("site_notice", "Maintenance at 02:00 UTC <b>")])
            #expect(saved.status == 303)
            let visitor = WebBrowser(port: h.port)
            let register = try await visitor.get("/register")
            #expect(register.body.contains("Maintenance at 02:00 UTC &lt;b&gt;"))
            #expect(register.body.contains("Sign-up is closed"))
            #expect(!register.body.contains("register-submit"))
            let attempt = try await visitor.post(
                "/register",
                [
                    ("email", "late@example.com"), ("username", "late"), ("password", "a long password 1"),
                    ("age", "on"), ("policy", "on"),
                ])
            #expect(attempt.status == 403)
            #expect(try await h.store.user(email: "late@example.com") == nil)
            #expect(try await h.store.auditEntries().contains { $0.action == "settings.change" })
        }
    }

    @Test("Support answers a contact message by email; the reply is kept as a follow-up record")
    func supportReply() async throws {
        try await RelayHarness.with { h in
            let visitor = WebBrowser(port: h.port)
            try await visitor.get("/contact")
            try await visitor.post(
                "/contact",
                [("email", "asker@example.com"), ("subject", "Invoice"), ("message", "Where is it?\nThanks")])
            let message = try #require(try await h.store.supportMessages().first)
            try await h.makeAccount(email: "help@example.com", username: "help", role: .support)
            let staff = WebBrowser(port: h.port)
            try await staff.signIn(email: "help@example.com")
            try await staff.get("/admin/support")
            let empty = try await staff.post("/admin/support/\(message.id)/reply", [("reply", "")])
            #expect(empty.status == 400)
            let sent = try await staff.post("/admin/support/\(message.id)/reply", [("reply", "It is attached.")])
            #expect(sent.status == 303)
            let mail = try #require(try await h.store.dueMail(limit: 20).first { $0.kind == "support_reply" })
            #expect(mail.recipient == "asker@example.com")
            let queued = try #require(QueuedMail.decode(mail.message))
            #expect(queued.subject == "Re: Invoice")
            #expect(queued.text.hasPrefix("It is attached.") && queued.text.contains("> Where is it?\n> Thanks"))
            let inbox = try await staff.get("/admin/support")
            #expect(inbox.body.contains("It is attached."))
            #expect(
                try await h.store.auditEntries().contains { $0.action == "support.reply" && $0.target == message.id })
            let missing = try await staff.post("/admin/support/none/reply", [("reply", "x")])
            #expect(missing.status == 404)
        }
    }

    @Test("The channel test sends one real request upstream and reports its status; prices are set from the form")
    func channelTestAndPrices() async throws {
        try await RelayHarness.with { h in
            let browser = try await Self.admin(h)
            let channel = try #require(try await h.store.channels().first)
            try await browser.get("/admin/channels")
            let before = h.stubLog.all.count
            let tested = try await browser.post("/admin/channels/\(channel.id)/test", [])
            #expect(tested.status == 200)
            #expect(tested.body.contains("Test request succeeded. (HTTP 200)"))
            #expect(h.stubLog.all.count == before + 1, "exactly one request reached the upstream")
            #expect(h.stubLog.all.last?.body.contains("\"max_tokens\":1") == true)
            try await browser.get("/admin/prices")
            let saved = try await browser.post(
                "/admin/prices", [("model", "new-model"), ("input", "0.5"), ("output", "1.25"), ("cached", "")])
            #expect(saved.status == 303)
            let price = try #require(try await h.store.prices()["new-model"])
            #expect(
                price.inputPerMillion == Money(micros: 500_000) && price.outputPerMillion == Money(micros: 1_250_000))
            let bad = try await browser.post("/admin/prices", [("model", "x"), ("input", "-1"), ("output", "1")])
            #expect(bad.status == 400)
            let pricing = try await WebBrowser(port: h.port).get("/pricing")
            #expect(pricing.body.contains("new-model") && pricing.body.contains("1.25"))
        }
    }
}
