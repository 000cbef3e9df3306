import Foundation
import Testing
import WharfCore
import WharfServer
import WharfStorage

/// Who may open which console and admin route: every route is tried by every role, and the outcome must be the
/// one in the table.
@Suite("Console and admin authorisation")
struct ConsoleAuthorizationTests {
    enum Outcome: Equatable {
        /// Sent to the sign-in page.
        case signIn
        /// Refused with 403.
        case forbidden
        /// Reached the page or action (any status but 403 or a sign-in redirect).
        case allowed
    }

    enum Who: String, CaseIterable {
        case anonymous, user, support, finance, admin
    }

    struct Route {
        var method: String
        var path: String
        var form: [(String, String)] = []
        /// The least role that is allowed; nil: any signed-in account.
        var least: Role?
    }

    static func routes(target: String) -> [Route] {
        [
            Route(method: "GET", path: "/console"), Route(method: "GET", path: "/console/keys"),
            Route(method: "POST", path: "/console/keys", form: [("name", "k")]),
            Route(method: "GET", path: "/console/usage"), Route(method: "GET", path: "/console/usage.csv"),
            Route(method: "GET", path: "/console/billing"), Route(method: "GET", path: "/console/settings"),
            Route(method: "POST", path: "/console/settings/preferences", form: [("language", "en")]),
            Route(method: "GET", path: "/admin/users", least: .support),
            Route(method: "GET", path: "/admin/users/\(target)", least: .support),
            Route(method: "GET", path: "/admin/support", least: .support),
            Route(
                method: "POST", path: "/admin/users/\(target)/credit", form: [("amount", "1"), ("reason", "r")],
                least: .finance),
            Route(method: "POST", path: "/admin/users/\(target)/role", form: [("role", "user")], least: .admin),
            Route(method: "POST", path: "/admin/users/\(target)/status", form: [("status", "active")], least: .admin),
            Route(method: "GET", path: "/admin/channels", least: .admin),
            Route(method: "POST", path: "/admin/channels", form: [("name", "")], least: .admin),
            Route(method: "GET", path: "/admin/prices", least: .admin),
            Route(method: "POST", path: "/admin/prices", form: [("model", "")], least: .admin),
            Route(method: "GET", path: "/admin/audit", least: .admin),
            Route(method: "GET", path: "/admin/settings", least: .admin),
            Route(method: "POST", path: "/admin/settings", form: [("registration_open", "on")], least: .admin),
            Route(method: "POST", path: "/admin/support/none/close", least: .support),
            Route(method: "POST", path: "/admin/support/none/reply", form: [("reply", "x")], least: .support),
            Route(method: "GET", path: "/admin/channels/none", least: .admin),
            Route(method: "POST", path: "/console/billing/topup", form: [("gateway", "none"), ("amount", "1")]),
            Route(method: "POST", path: "/console/billing/redeem", form: [("code", "x")]),
            Route(method: "GET", path: "/console/billing/orders/none"),
            Route(method: "GET", path: "/console/billing/orders"),
            Route(method: "GET", path: "/admin/payments", least: .admin),
            Route(method: "POST", path: "/admin/payments", form: [("name", "")], least: .admin),
            Route(method: "POST", path: "/admin/payments/none/disable", least: .admin),
            Route(method: "GET", path: "/admin/orders", least: .support),
            Route(method: "GET", path: "/admin/orders/none", least: .support),
            Route(
                method: "POST", path: "/admin/orders/none/refund", form: [("amount", "1"), ("reason", "r")],
                least: .finance),
            Route(method: "POST", path: "/admin/orders/none/mark-paid", form: [("reason", "r")], least: .finance),
            Route(method: "POST", path: "/admin/orders/none/review", form: [("reason", "r")], least: .finance),
            Route(method: "GET", path: "/admin/codes", least: .finance),
            Route(method: "POST", path: "/admin/codes", form: [("amount", "")], least: .finance),
        ]
    }

    static func expected(_ route: Route, _ who: Who) -> Outcome {
        guard who != .anonymous else { return .signIn }
        guard let least = route.least else { return .allowed }
        let role = Role(rawValue: who.rawValue) ?? .user
        return role >= least ? .allowed : .forbidden
    }

    static func outcome(_ page: WebBrowser.Page) -> Outcome {
        if page.status == 303, page.location == "/login" { return .signIn }
        if page.status == 403 { return .forbidden }
        return .allowed
    }

    @Test("Every console and admin route gives each role exactly the access in the table")
    func matrix() async throws {
        try await RelayHarness.with { h in
            var browsers: [Who: WebBrowser] = [:]
            for who in Who.allCases {
                let browser = WebBrowser(port: h.port)
                if let role = Role(rawValue: who.rawValue) {
                    let email = "\(who.rawValue)@example.com"
                    try await h.makeAccount(email: email, username: who.rawValue, role: role)
                    try await browser.signIn(email: email)
                }
                try await browser.get("/")
                browsers[who] = browser
            }
            var mismatches: [String] = []
            for route in Self.routes(target: h.user.id) {
                for who in Who.allCases {
                    let browser = try #require(browsers[who])
                    if route.method == "POST" { try await browser.get("/") }
                    let page =
                        route.method == "GET"
                        ? try await browser.get(route.path) : try await browser.post(route.path, route.form)
                    let got = Self.outcome(page)
                    let want = Self.expected(route, who)
                    if got != want {
                        mismatches.append(
                            "\(route.method) \(route.path) as \(who): got \(got) (\(page.status)), want \(want)")
                    }
                }
            }
            #expect(mismatches.isEmpty, "\(mismatches.joined(separator: "\n"))")
        }
    }

    @Test("Admin pages are refused from an address outside the allowlist, even to an admin with a forged header")
    func adminAllowlist() async throws {
        let tune: @Sendable (inout WharfConfig) -> Void = { $0.adminAllowlist = [IPRange("10.0.0.0/8")!] }
        try await RelayHarness.with(tune: tune) { h in
            try await h.makeAccount(email: "root@example.com", username: "root", role: .root)
            let browser = WebBrowser(port: h.port)
            try await browser.signIn(email: "root@example.com")
            let page = try await browser.get("/admin/users")
            #expect(page.status == 403)
            #expect(page.body.contains("not reachable from your network address"))
            let forged = try await browser.send(
                "/admin/users", method: .GET, body: nil, headers: [("x-forwarded-for", "10.1.2.3")])
            #expect(forged.status == 403, "X-Forwarded-For is believed only from trusted proxies")
            #expect(try await browser.get("/console").status == 200, "the console itself stays reachable")
        }
    }

    @Test("Admin changes are written to the audit log by account id, and the chain verifies")
    func adminChangesAreAudited() async throws {
        try await RelayHarness.with { h in
            try await h.makeAccount(email: "boss@example.com", username: "boss", role: .admin)
            let browser = WebBrowser(port: h.port)
            try await browser.signIn(email: "boss@example.com")
            try await browser.get("/admin/users/\(h.user.id)")
            let adjusted = try await browser.post(
                "/admin/users/\(h.user.id)/credit", [("amount", "-1.5"), ("reason", "goodwill correction")])
            #expect(adjusted.status == 303)
            #expect(try await h.store.balance(userID: h.user.id) == Money(micros: 3_500_000))
            try await browser.get("/admin/users/\(h.user.id)")
            let noReason = try await browser.post(
                "/admin/users/\(h.user.id)/credit", [("amount", "1"), ("reason", "")])
            #expect(noReason.status == 400)
            try await browser.post("/admin/users/\(h.user.id)/role", [("role", "support")])
            let peer = try await h.store.createUser(
                email: EmailAddress("peer@example.com")!, username: "peer", passwordHash: "x", role: .admin)
            try await browser.get("/admin/users/\(peer.id)")
            let demote = try await browser.post("/admin/users/\(peer.id)/role", [("role", "user")])
            #expect(demote.status == 400, "an admin cannot change another admin")
            let promote = try await browser.post("/admin/users/\(h.user.id)/role", [("role", "admin")])
            #expect(promote.status == 400, "nor grant their own role")
            #expect(try await h.store.user(id: peer.id)?.role == .admin)
            let me = try #require(try await h.store.user(email: "boss@example.com"))
            try await browser.get("/admin/users/\(me.id)")
            let selfCredit = try await browser.post(
                "/admin/users/\(me.id)/credit", [("amount", "100"), ("reason", "me")])
            #expect(selfCredit.status == 400, "nobody adjusts their own credit")
            #expect(try await h.store.balance(userID: me.id) == .zero)
            let entries = try await h.store.auditEntries()
            let actions = entries.map(\.action)
            #expect(actions.contains("credit.adjust"))
            #expect(actions.contains("user.role"))
            for entry in entries {
                #expect(!entry.detail.contains("@") && !(entry.target ?? "").contains("@"), "no email in audit rows")
            }
            #expect(try await h.store.verifyAudit().brokenAt == nil)
            let audit = try await browser.get("/admin/audit")
            #expect(audit.body.contains("Hash chain verified"))
        }
    }
}
