import Foundation
import Testing
import WharfCore
import WharfServer
import WharfStorage

@Suite("Data lifecycle in the console and on the privacy page")
struct DataLifecycleWebTests {
    @Test("The privacy page states the retention schedule in force, from the same settings the job reads")
    func privacySchedule() async throws {
        try await RelayHarness.with { h in
            let page = try await WebBrowser(port: h.port).get("/privacy")
            #expect(page.body.contains(#"<tr data-retention="usage"><td>"#))
            #expect(
                page.body.range(
                    of: #"data-retention="usage"><td>[^<]*</td><td>90 days</td>"#, options: .regularExpression) != nil)
            #expect(
                page.body.range(
                    of: #"data-retention="audit"><td>[^<]*</td><td>1095 days</td>"#, options: .regularExpression) != nil
            )
        }
        let tune: @Sendable (inout WharfConfig) -> Void = {
            $0.retention.usageDays = 45
            $0.retention.supportDays = 200
        }
        try await RelayHarness.with(tune: tune) { h in
            let page = try await WebBrowser(port: h.port).get("/privacy")
            #expect(
                page.body.range(
                    of: #"data-retention="usage"><td>[^<]*</td><td>45 days</td>"#, options: .regularExpression) != nil)
            #expect(
                page.body.range(
                    of: #"data-retention="support"><td>[^<]*</td><td>200 days</td>"#, options: .regularExpression)
                    != nil)
            #expect(page.body.contains("45 days"), "the category table uses the same number")
        }
    }

    @Test("A signed-in person downloads everything held about them as a JSON attachment")
    func exportDownload() async throws {
        try await RelayHarness.with { h in
            let user = try await h.makeAccount(email: "dl@example.com", username: "dl", role: .user)
            _ = try await h.store.createKey(userID: user.id, name: "mine")
            let browser = WebBrowser(port: h.port)
            try await browser.signIn(email: "dl@example.com")
            let page = try await browser.get("/console/account/export")
            #expect(page.status == 200)
            #expect(page.contentType?.hasPrefix("application/json") == true)
            let document = try JSONDecoder().decode(SubjectExportDocument.self, from: Data(page.body.utf8))
            #expect(document.userID == user.id)
            #expect(document.tables["users"]?.rows.first?["email"] == .text("dl@example.com"))
            #expect(document.tables["api_keys"]?.rows.first?["name"] == .text("mine"))
            #expect(document.tables["api_keys"]?.rows.first?["key_hash"] == nil)
            #expect(document.tables["persist"]?.rows.isEmpty == false, "the session is part of it")
            #expect(page.body.contains(h.user.id) == false, "nothing of another account")
            let anonymous = try await WebBrowser(port: h.port).get("/console/account/export")
            #expect(anonymous.status == 303)
        }
    }

    @Test("Deleting the account needs the password (and CSRF); then keys, sessions and the email are gone")
    func deleteAccount() async throws {
        try await RelayHarness.with { h in
            let user = try await h.makeAccount(email: "gone@example.com", username: "gone", role: .user)
            _ = try await h.store.post(userID: user.id, kind: .grant, amount: Money(micros: 1_000_000))
            let (_, secret) = try await h.store.createKey(userID: user.id, name: "k")
            let works = try await h.eventually {
                try await h.request("/v1/chat/completions", body: RelayHarness.chat(), key: secret.value).status == 200
            }
            #expect(works)
            let browser = WebBrowser(port: h.port)
            try await browser.signIn(email: "gone@example.com")
            try await browser.get("/console/settings")
            let noCSRF = try await browser.post(
                "/console/account/delete", [("password", "a long password 1")], csrf: false)
            #expect(noCSRF.status == 403)
            let wrong = try await browser.post("/console/account/delete", [("password", "not the password")])
            #expect(wrong.status == 400)
            #expect(try await h.store.user(email: "gone@example.com") != nil, "nothing happens on a wrong password")
            let done = try await browser.post("/console/account/delete", [("password", "a long password 1")])
            #expect(done.status == 303)
            #expect(done.location?.hasPrefix("/?notice=notice_account_erased") == true)
            #expect(try await h.store.user(email: "gone@example.com") == nil)
            #expect(try await h.store.user(id: user.id)?.status == .erased)
            let refused = try await h.eventually {
                try await h.request("/v1/chat/completions", body: RelayHarness.chat(), key: secret.value).status == 401
            }
            #expect(refused, "the key is refused once erased")
            let after = try await browser.get("/console/settings")
            #expect(after.status == 303, "the session ended")
            #expect(try await h.store.verifyLedger().isEmpty)
        }
    }

    @Test("Freezing refuses every key and deletes nothing; unfreezing restores them")
    func freeze() async throws {
        try await RelayHarness.with { h in
            let user = try await h.makeAccount(email: "ice@example.com", username: "ice", role: .user)
            _ = try await h.store.post(userID: user.id, kind: .grant, amount: Money(micros: 1_000_000))
            let (_, secret) = try await h.store.createKey(userID: user.id, name: "k")
            #expect(
                try await h.eventually {
                    try await h.request("/v1/chat/completions", body: RelayHarness.chat(), key: secret.value).status
                        == 200
                })
            let browser = WebBrowser(port: h.port)
            try await browser.signIn(email: "ice@example.com")
            try await browser.get("/console/settings")
            #expect(try await browser.post("/console/account/freeze", []).status == 303)
            #expect(
                try await h.eventually {
                    try await h.request("/v1/chat/completions", body: RelayHarness.chat(), key: secret.value).status
                        == 401
                })
            let settings = try await browser.get("/console/settings")
            #expect(settings.status == 200, "a frozen account still signs in")
            #expect(settings.body.contains(#"id="unfreeze""#))
            #expect(try await browser.post("/console/account/unfreeze", []).status == 400, "lifting needs the password")
            #expect(
                try await browser.post("/console/account/unfreeze", [("password", "a long password 1")]).status == 303)
            #expect(
                try await h.eventually {
                    try await h.request("/v1/chat/completions", body: RelayHarness.chat(), key: secret.value).status
                        == 200
                })
        }
    }

    @Test("A profile correction changes the username and phone; a taken username is refused")
    func profile() async throws {
        try await RelayHarness.with { h in
            _ = try await h.makeAccount(email: "fix@example.com", username: "fixme", role: .user)
            let browser = WebBrowser(port: h.port)
            try await browser.signIn(email: "fix@example.com")
            try await browser.get("/console/settings")
            let saved = try await browser.post(
                "/console/settings/profile", [("username", "fixed"), ("phone", "+1 555 0100")])
            #expect(saved.status == 303)
            let user = try #require(try await h.store.user(email: "fix@example.com"))
            #expect(user.username == "fixed" && user.phone == "+1 555 0100")
            try await browser.get("/console/settings")
            let taken = try await browser.post("/console/settings/profile", [("username", "alice"), ("phone", "")])
            #expect(taken.status == 400)
        }
    }

    @Test("After the policy version changes, a person who accepted the old one accepts the new one before the console")
    func policyReacceptance() async throws {
        try await RelayHarness.with { h in
            let browser = WebBrowser(port: h.port)
            try await browser.signUpAndIn(email: "policy@example.com", username: "policy")
            let user = try #require(try await h.store.user(email: "policy@example.com"))
            #expect(user.policyVersion == h.runtime.config.policyVersion)
            #expect(try await browser.get("/console").status == 200)
            // The operator publishes a new version: this account accepted an older one.
            try await h.store.acceptPolicy(userID: user.id, version: "2020-01-01")
            let blocked = try await browser.get("/console/keys")
            #expect(blocked.status == 303)
            #expect(blocked.location == "/console/policy")
            // Refusing the new terms does not take away the rights over one's data.
            #expect(try await browser.get("/console/account/export").status == 200)
            #expect(try await browser.get("/console/settings").status == 200)
            #expect(try await browser.get("/console/support").status == 200)
            let page = try await browser.get("/console/policy")
            #expect(page.status == 200)
            #expect(page.body.contains("2020-01-01"))
            let refused = try await browser.post("/console/policy", [])
            #expect(refused.status == 400)
            let accepted = try await browser.post("/console/policy", [("accept", "on")])
            #expect(accepted.status == 303)
            #expect(try await h.store.user(id: user.id)?.policyVersion == h.runtime.config.policyVersion)
            #expect(try await browser.get("/console/keys").status == 200)
            #expect(try await h.store.auditEntries(limit: 5).contains { $0.action == "account.policy_accept" })
        }
    }

    @Test("Cookie choices are recorded with the notice version, can be withdrawn, and are in the export")
    func cookieConsent() async throws {
        try await RelayHarness.with { h in
            let user = try await h.makeAccount(email: "cookie@example.com", username: "cookie", role: .user)
            let browser = WebBrowser(port: h.port)
            try await browser.signIn(email: "cookie@example.com")
            try await browser.get("/cookies")
            #expect(try await browser.post("/cookies", [("functional", "on")]).status == 303)
            try await browser.get("/cookies")
            let withdrawn = try await browser.post("/cookies", [])
            #expect(withdrawn.status == 303)
            #expect(
                withdrawn.setCookies.contains {
                    $0.hasPrefix("wharf_lang=;") || $0.contains("wharf_lang=") && $0.contains("Max-Age=0")
                })
            let export = try await browser.get("/console/account/export")
            let document = try JSONDecoder().decode(SubjectExportDocument.self, from: Data(export.body.utf8))
            let consents = try #require(document.tables["consents"]?.rows)
            #expect(consents.count == 2)
            #expect(Set(consents.compactMap { $0["functional"] }) == [.integer(1), .integer(0)])
            #expect(consents.allSatisfy { $0["notice_version"] == .text("1") && $0["created_at"] != .null })
            #expect(consents.allSatisfy { $0["user_id"] == .text(user.id) })
        }
    }

    @Test("With two-factor sign-in on, deleting the account also needs a current code")
    func deleteWithTwoFactor() async throws {
        try await RelayHarness.with { h in
            let user = try await h.makeAccount(email: "otp@example.com", username: "otp", role: .user)
            let browser = WebBrowser(port: h.port)
            try await browser.signIn(email: "otp@example.com")
            try await browser.get("/console/settings")
            try await browser.post("/console/2fa/setup", [])
            let secret = try #require(try await h.store.twoFactorSecret(userID: user.id))
            let now = Int64(Date().timeIntervalSince1970 * 1000)
            let enabled = try await browser.post(
                "/console/2fa/enable",
                [("code", TwoFactorCodes.code(secret: secret, nowMillis: now)), ("password", "a long password 1")])
            #expect(enabled.status == 200)
            let settings = try await browser.get("/console/settings")
            #expect(settings.body.contains(#"id="delete_code""#))
            let noCode = try await browser.post("/console/account/delete", [("password", "a long password 1")])
            #expect(noCode.status == 400)
            let wrong = try await browser.post(
                "/console/account/delete", [("password", "a long password 1"), ("code", "000000")])
            #expect(wrong.status == 400)
            #expect(try await h.store.user(id: user.id)?.status == .active)
            let next = TwoFactorCodes.code(secret: secret, nowMillis: now + 30_000)
            let done = try await browser.post(
                "/console/account/delete", [("password", "a long password 1"), ("code", next)])
            #expect(done.status == 303)
            #expect(try await h.store.user(id: user.id)?.status == .erased)
        }
    }
}
