import Foundation
import HTTPTypes
import Hummingbird
import WharfCore
import WharfStorage

/// The signed-in console. Every query is scoped to the signed-in account (`context.user.id`); no route takes an
/// account id from the request, so one user cannot reach another's keys, log or ledger.
struct ConsolePagesController: Sendable {
    let web: WebEnvironment
    static let pageSize = 50

    func addRoutes(to group: RouterGroup<SignedInContext>) {
        group.get("") { _, context in try await dashboard(context) }
        group.get("keys") { _, context in try await keys(context, secret: nil, form: [:], error: nil) }
        group.post("keys") { _, context in try await createKey(context) }
        group.post("keys/{id}/revoke") { _, context in try await revokeKey(context) }
        group.get("usage") { request, context in try await usage(request, context) }
        group.get("usage.csv") { request, context in try await usageCSV(request, context) }
        group.get("settings") { _, context in try await settings(context, error: nil) }
        group.post("settings/preferences") { _, context in try await savePreferences(context) }
        group.post("settings/password") { _, context in try await changePassword(context) }
        group.post("sessions/{id}/revoke") { _, context in try await revokeSession(context) }
        group.post("settings/email") { _, context in try await changeEmail(context) }
        group.post("2fa/setup") { _, context in try await setUpTwoFactor(context) }
        group.post("2fa/enable") { _, context in try await enableTwoFactor(context) }
        group.post("2fa/disable") { _, context in try await disableTwoFactor(context) }
        group.post("telegram/unlink") { _, context -> Response in
            try await web.store.setTelegramID(userID: context.user.id, telegramID: nil)
            try await web.store.audit(
                actorID: context.user.id, action: "account.telegram_unlink", target: context.user.id)
            throw WebRedirect(location: "/console/settings?notice=notice_saved")
        }
    }

    func dashboard(_ context: SignedInContext) async throws -> Response {
        let v = context.visitor
        let userID = context.user.id
        let today = web.clock.nowMillis() / 86_400_000
        let from = (today - 29) * 86_400_000
        let filter = UsageFilter(userID: userID, fromMillis: from)
        let daily = try await web.store.dailyUsage(filter)
        var byDay: [Int64: DailyUsage] = [:]
        for d in daily { byDay[d.day] = d }
        let days = (today - 29...today).map { byDay[$0] ?? DailyUsage(day: $0, requests: 0, cost: .zero) }
        var requestsChart = SVGBarChart(
            title: v.text("dash_requests_per_day"),
            bars: days.map {
                SVGBarChart.Bar(label: WebFormat.shortDay($0.day), value: $0.requests, shown: "\($0.requests)")
            })
        var costChart = SVGBarChart(
            title: v.text("dash_cost_per_day"),
            bars: days.map {
                SVGBarChart.Bar(
                    label: WebFormat.shortDay($0.day), value: $0.cost.micros, shown: WebFormat.money($0.cost))
            })
        requestsChart.peakLabel = v.text("chart_max")
        costChart.peakLabel = v.text("chart_max")
        let byModel = try await web.store.usageByModel(filter).map {
            [
                "model": $0.model, "requests": "\($0.requests)", "tokens": "\($0.tokens)",
                "cost": WebFormat.money($0.cost),
            ]
        }
        let spend30 = Money(micros: days.reduce(0) { $0 + $1.cost.micros })
        return web.renderer.page(
            "dashboard", titleKey: "console_dashboard", visitor: v,
            model: [
                "tabDashboard": true, "balance": WebFormat.money(try await web.store.balance(userID: userID)),
                "spendToday": WebFormat.money(days.last?.cost ?? .zero), "spend30": WebFormat.money(spend30),
                "requests30": "\(days.reduce(0) { $0 + $1.requests })", "requestsChart": requestsChart.render(),
                "costChart": costChart.render(), "byModel": byModel,
            ])
    }

    func keys(_ context: SignedInContext, secret: String?, form: [String: String], error: String?) async throws
        -> Response
    {
        let now = web.clock.nowMillis()
        let rows = try await web.store.keys(userID: context.user.id).map { k -> [String: Any] in
            let expired = k.policy.isExpired(nowMillis: now)
            var row: [String: Any] = [
                "id": k.id, "name": k.name, "prefix": k.displayPrefix,
                "status": expired && k.status == .active ? "expired" : k.status.rawValue,
                "models": k.policy.allowedModels.isEmpty
                    ? "*" : k.policy.allowedModels.sorted().joined(separator: ", "),
                "expires": k.policy.expiresAtMillis.map(WebFormat.date) ?? "—", "spent": WebFormat.money(k.spent),
                "active": k.status == .active,
                "transfer": k.policy.transfer == .none ? "—" : k.policy.transfer.summary,
            ]
            if let limit = k.policy.spendLimit { row["limit"] = WebFormat.money(limit) }
            return row
        }
        var model: [String: Any] = ["tabKeys": true, "keys": rows, "form": form]
        if let secret { model["secret"] = secret }
        if let error { model["error"] = context.visitor.text(error) }
        return web.renderer.page(
            "keys", titleKey: "console_keys", visitor: context.visitor, model: model,
            status: error == nil ? .ok : .badRequest)
    }

    /// Creates a key from the form: name, optional expiry date, model allowlist, IP allowlist and spending limit.
    /// The secret is shown once on the response page and never again.
    func createKey(_ context: SignedInContext) async throws -> Response {
        let form = context.visitor.form
        let values = ["name", "expires", "models", "ips", "limit", "regions"].reduce(into: [String: String]()) {
            $0[$1] = form[$1] ?? ""
        }
        func again(_ key: String) async throws -> Response {
            try await keys(context, secret: nil, form: values, error: key)
        }
        let name = values["name"] ?? ""
        guard !name.isEmpty, name.count <= 64 else { return try await again("err_key_name") }
        var policy = KeyPolicy()
        if let text = values["expires"], !text.isEmpty {
            guard let day = WebFormat.parseDay(text), day + 86_400_000 > web.clock.nowMillis() else {
                return try await again("err_key_expiry")
            }
            policy.expiresAtMillis = day + 86_400_000
        }
        let models = (values["models"] ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }
        guard models.allSatisfy({ $0.count <= 100 }) else { return try await again("err_too_long") }
        policy.allowedModels = Set(models)
        var ranges: [IPRange] = []
        for item in (values["ips"] ?? "").split(separator: ",") {
            let text = item.trimmingCharacters(in: .whitespaces)
            guard !text.isEmpty else { continue }
            guard let range = IPRange(text) else { return try await again("err_key_ips") }
            ranges.append(range)
        }
        policy.allowedIPs = ranges
        if let text = values["limit"], !text.isEmpty {
            guard let limit = try? Money(parsing: text), limit.micros > 0 else {
                return try await again("err_key_limit")
            }
            policy.spendLimit = limit
        }
        if let text = values["regions"], !text.trimmingCharacters(in: .whitespaces).isEmpty {
            guard let regions = TransferConstraints.parseRegions(text) else {
                return try await again("err_key_regions")
            }
            policy.transfer.regions = regions
        }
        policy.transfer.requireZeroRetention = form.isChecked("zero_retention")
        policy.transfer.requireNoTraining = form.isChecked("no_training")
        let record: KeyRecord
        let secret: APIKeySecret
        do {
            (record, secret) = try await web.store.createKey(
                userID: context.user.id, name: name, policy: policy, maxActive: web.config.maxKeysPerAccount)
        } catch StoreError.limitReached {
            return try await again("err_key_count")
        }
        try await web.store.audit(actorID: context.user.id, action: "key.create", target: record.id)
        return try await keys(context, secret: secret.value, form: [:], error: nil)
    }

    func revokeKey(_ context: SignedInContext) async throws -> Response {
        let id = context.parameters.get("id") ?? ""
        guard try await web.store.keys(userID: context.user.id).contains(where: { $0.id == id }) else {
            throw WebFailure.notFound
        }
        try await web.store.revokeKey(id: id)
        try await web.store.audit(actorID: context.user.id, action: "key.revoke", target: id)
        throw WebRedirect(location: "/console/keys?notice=notice_key_revoked")
    }

    /// The filter of the request log from the query string (dates are UTC days; `to` is inclusive).
    func usageFilter(_ request: Request, _ context: SignedInContext) -> (UsageFilter, [String: String]) {
        let q = request.uri.queryParameters
        var shown: [String: String] = [:]
        var filter = UsageFilter(userID: context.user.id)
        if let from = q.get("from"), let ms = WebFormat.parseDay(from) {
            filter.fromMillis = ms
            shown["from"] = from
        }
        if let to = q.get("to"), let ms = WebFormat.parseDay(to) {
            filter.toMillis = ms + 86_400_000
            shown["to"] = to
        }
        for (name, path) in [
            ("model", \UsageFilter.model), ("key", \UsageFilter.keyID), ("status", \UsageFilter.status),
        ] {
            if let sub = q.get(name), case let v = String(sub), !v.isEmpty, v.count <= 100 {
                filter[keyPath: path] = v
                shown[name] = v
            }
        }
        return (filter, shown)
    }

    /// The `page` query parameter, 1 to 10,000.
    static func pageNumber(_ request: Request) -> Int {
        let text = request.uri.queryParameters.get("page").map { String($0) } ?? "1"
        return max(1, min(10_000, Int(text) ?? 1))
    }

    static func query(_ shown: [String: String], page: Int? = nil) -> String {
        var items = shown.sorted { $0.key < $1.key }.map { URLQueryItem(name: $0.key, value: $0.value) }
        if let page { items.append(URLQueryItem(name: "page", value: "\(page)")) }
        var components = URLComponents()
        components.queryItems = items
        return components.percentEncodedQuery ?? ""
    }

    func usage(_ request: Request, _ context: SignedInContext) async throws -> Response {
        let (filter, shown) = usageFilter(request, context)
        let page = Self.pageNumber(request)
        let keys = try await web.store.keys(userID: context.user.id)
        let names = Dictionary(keys.map { ($0.id, $0.name) }, uniquingKeysWith: { a, _ in a })
        let total = try await web.store.usageCount(filter)
        let rows = try await web.store.usagePage(filter, limit: Self.pageSize, offset: (page - 1) * Self.pageSize).map {
            [
                "time": WebFormat.time($0.createdAt), "model": $0.model, "key": names[$0.keyID] ?? $0.keyID,
                "status": $0.status, "region": $0.region ?? "—", "prompt": "\($0.usage.promptTokens)",
                "completion": "\($0.usage.completionTokens)",
                "cached": "\($0.usage.cachedTokens)", "cacheWrite": "\($0.usage.cacheWriteTokens)",
                "reasoning": "\($0.usage.reasoningTokens)",
                "cost": WebFormat.money($0.cost), "latency": "\($0.latencyMillis) ms",
            ]
        }
        var model: [String: Any] = [
            "tabUsage": true, "filter": shown, "rows": rows, "total": "\(total)", "page": "\(page)",
            "query": Self.query(shown),
            "keyOptions": keys.map {
                ["id": $0.id, "name": $0.name, "selected": $0.id == filter.keyID] as [String: Any]
            },
        ]
        if page > 1 { model["prevHref"] = "/console/usage?" + Self.query(shown, page: page - 1) }
        if Int64(page * Self.pageSize) < total {
            model["nextHref"] = "/console/usage?" + Self.query(shown, page: page + 1)
        }
        return web.renderer.page("usage", titleKey: "console_usage", visitor: context.visitor, model: model)
    }

    /// Rows a CSV export holds at most.
    static let csvMaxRows = 1_000_000
    static let csvBatch = 1_000

    /// The filtered request log as CSV, with the same "content stored: no" column. Streamed: rows are read 1,000 at
    /// a time by keyset (never OFFSET) and written as they are read, so memory stays the size of one batch however
    /// long the log; at most ``csvMaxRows`` rows.
    func usageCSV(_ request: Request, _ context: SignedInContext) async throws -> Response {
        let (filter, _) = usageFilter(request, context)
        let store = web.store
        let header = CSVTable.line([
            "time_utc", "request_id", "model", "key_id", "endpoint", "status", "stream", "prompt_tokens",
            "completion_tokens", "cached_tokens", "cache_write_tokens", "reasoning_tokens", "cost", "latency_ms",
            "ttft_ms", "region", "content_stored",
        ])
        var headers = HTTPFields()
        headers[.contentType] = "text/csv; charset=utf-8"
        headers[.contentDisposition] = "attachment; filename=\"wharf-requests.csv\""
        headers[.cacheControl] = "no-store"
        let body = ResponseBody { writer in
            try await writer.write(ByteBuffer(string: header))
            var before: (createdAt: Int64, id: String)?
            var written = 0
            while written < Self.csvMaxRows {
                let rows = try await store.usageRows(
                    filter, limit: min(Self.csvBatch, Self.csvMaxRows - written), before: before)
                var chunk = ""
                for r in rows {
                    chunk += CSVTable.line([
                        WebFormat.time(r.createdAt), r.id, r.model, r.keyID, r.endpoint, r.status,
                        r.stream ? "1" : "0", "\(r.usage.promptTokens)", "\(r.usage.completionTokens)",
                        "\(r.usage.cachedTokens)", "\(r.usage.cacheWriteTokens)", "\(r.usage.reasoningTokens)",
                        r.cost.description, "\(r.latencyMillis)",
                        r.timeToFirstTokenMillis.map { "\($0)" } ?? "", r.region ?? "", "no",
                    ])
                }
                if !chunk.isEmpty { try await writer.write(ByteBuffer(string: chunk)) }
                written += rows.count
                guard rows.count == Self.csvBatch, let last = rows.last else { break }
                before = (last.createdAt, last.id)
            }
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: headers, body: body)
    }

    func settings(_ context: SignedInContext, error: String?) async throws -> Response {
        let sessions = try await web.sessions.list(userID: context.user.id).map {
            [
                "id": $0.id, "device": $0.device, "ip": $0.clientIP ?? "—", "created": WebFormat.time($0.createdAt),
                "lastSeen": WebFormat.time($0.lastSeenAt), "current": $0.id == context.session.id,
            ] as [String: Any]
        }
        var model: [String: Any] = [
            "tabSettings": true, "email": context.user.email, "username": context.user.username,
            "notifyLogin": context.user.notifyLogin, "sessions": sessions, "twoFactor": context.user.twoFactorEnabled,
            "backupLeft": "\(try await web.store.backupCodesLeft(userID: context.user.id))",
            "telegramLinked": context.user.telegramID != nil, "phone": context.user.phone ?? "",
            "frozen": context.user.status == .frozen,
        ]
        let transfer = try await web.store.transferDefault(userID: context.user.id)
        model["transferRegions"] = transfer.regions.sorted().joined(separator: ", ")
        model["transferZeroRetention"] = transfer.requireZeroRetention
        model["transferNoTraining"] = transfer.requireNoTraining
        if let pending = context.user.pendingEmail { model["pendingEmail"] = pending }
        for (k, v) in web.telegramModel(context.visitor) { model[k] = v }
        if let error { model["error"] = context.visitor.text(error) }
        return web.renderer.page(
            "settings", titleKey: "console_settings", visitor: context.visitor, model: model,
            status: error == nil ? .ok : .badRequest)
    }

    func savePreferences(_ context: SignedInContext) async throws -> Response {
        let form = context.visitor.form
        let language = form["language"].flatMap(Language.init(tag:)) ?? context.visitor.language
        try await web.store.setPreferences(
            userID: context.user.id, language: language.rawValue, notifyLogin: form.isChecked("notify_login"))
        throw WebRedirect(location: "/console/settings?notice=notice_saved")
    }

    /// Changes the password after checking the current one, and signs out every other session.
    func changePassword(_ context: SignedInContext) async throws -> Response {
        let form = context.visitor.form
        guard try await web.checkPassword(form.raw("current") ?? "", of: context.user, context.visitor) else {
            return try await settings(context, error: "err_current_password")
        }
        let password = form.raw("password") ?? ""
        do {
            try AccountService.validatePassword(password, email: context.user.email, username: context.user.username)
        } catch {
            return try await settings(context, error: error.messageKey)
        }
        try await web.store.setPasswordHash(
            userID: context.user.id, hash: try await AccountService.hash(password, cost: web.config.passwordHashCost))
        try await web.sessions.revokeAll(userID: context.user.id, keeping: context.session.id)
        try await web.store.invalidateOneTimeTokens(userID: context.user.id)
        try await web.securityAlert(context.user, changeKey: "change_password")
        try await web.store.audit(actorID: context.user.id, action: "account.password_change", target: context.user.id)
        throw WebRedirect(location: "/console/settings?notice=notice_password_changed")
    }

    /// Starts an email change: the new address must be confirmed by a link sent to it (the old one stays in use
    /// until then), and the current password is required.
    func changeEmail(_ context: SignedInContext) async throws -> Response {
        let form = context.visitor.form
        guard try await web.checkPassword(form.raw("password") ?? "", of: context.user, context.visitor) else {
            return try await settings(context, error: "err_current_password")
        }
        guard let email = EmailAddress(form["email"] ?? ""), (form["email"] ?? "").count <= 254 else {
            return try await settings(context, error: "err_email_invalid")
        }
        guard try await web.store.user(email: email.value) == nil else {
            return try await settings(context, error: "err_email_taken")
        }
        try await web.store.setPendingEmail(userID: context.user.id, email: email)
        var recipient = context.user
        recipient.email = email.value
        try await web.mailOneTimeLink(
            to: recipient, purpose: .changeEmail, ttlMillis: AccountPagesController.verifyTTL, path: "/verify-email",
            subjectKey: "mail_verify_subject", bodyKey: "mail_verify_body", boundTo: email.value)
        throw WebRedirect(location: "/console/settings?notice=notice_email_change_sent")
    }

    /// Stages a new secret and shows it (key and otpauth URL) with a form to confirm one code from the app.
    func setUpTwoFactor(_ context: SignedInContext) async throws -> Response {
        guard !context.user.twoFactorEnabled else { throw WebRedirect(location: "/console/settings") }
        let secret = TwoFactorCodes.newSecret()
        try await web.store.stageTwoFactorSecret(userID: context.user.id, secret: secret)
        return try await twoFactorSetupPage(context, secret: secret, error: nil)
    }

    func twoFactorSetupPage(_ context: SignedInContext, secret: String, error: String?) async throws -> Response {
        var model: [String: Any] = [
            "tabSettings": true, "typedKey": TwoFactorCodes.typedKey(secret: secret),
            "uri": TwoFactorCodes.authenticatorURL(secret: secret, account: context.user.email),
        ]
        if let error { model["error"] = context.visitor.text(error) }
        return web.renderer.page(
            "twoFactorSetup", titleKey: "twofa_setup_title", visitor: context.visitor, model: model,
            status: error == nil ? .ok : .badRequest)
    }

    /// Turns two-factor sign-in on once the password and a code from the staged secret check out (so a stolen
    /// session cannot enrol its own authenticator); signs out every other session; shows ten backup codes once.
    func enableTwoFactor(_ context: SignedInContext) async throws -> Response {
        guard !context.user.twoFactorEnabled, let secret = try await web.store.twoFactorSecret(userID: context.user.id)
        else { throw WebRedirect(location: "/console/settings") }
        guard try await web.checkPassword(context.visitor.form.raw("password") ?? "", of: context.user, context.visitor)
        else { return try await twoFactorSetupPage(context, secret: secret, error: "err_current_password") }
        guard
            let step = TwoFactorCodes.matchingStep(
                secret: secret, code: context.visitor.form["code"] ?? "", nowMillis: web.clock.nowMillis()),
            try await web.store.acceptTwoFactorStep(userID: context.user.id, step: step)
        else { return try await twoFactorSetupPage(context, secret: secret, error: "err_twofa_code") }
        let codes = TwoFactorCodes.newBackupCodes()
        try await web.store.enableTwoFactor(
            userID: context.user.id, backupCodeHashes: codes.map(TwoFactorCodes.backupHash))
        try await web.sessions.revokeAll(userID: context.user.id, keeping: context.session.id)
        try await web.securityAlert(context.user, changeKey: "change_2fa_on")
        try await web.store.audit(actorID: context.user.id, action: "account.2fa_enable", target: context.user.id)
        return web.renderer.page(
            "twoFactorBackupCodes", titleKey: "twofa_codes_title", visitor: context.visitor,
            model: ["tabSettings": true, "codes": codes])
    }

    /// Turns two-factor sign-in off; needs the password and a current code (or a backup code).
    func disableTwoFactor(_ context: SignedInContext) async throws -> Response {
        let form = context.visitor.form
        guard try await web.checkPassword(form.raw("password") ?? "", of: context.user, context.visitor) else {
            return try await settings(context, error: "err_current_password")
        }
        guard try await web.checkSecondFactor(context.user, code: form["code"] ?? "") else {
            return try await settings(context, error: "err_twofa_code")
        }
        try await web.store.disableTwoFactor(userID: context.user.id)
        try await web.sessions.revokeAll(userID: context.user.id, keeping: context.session.id)
        try await web.securityAlert(context.user, changeKey: "change_2fa_off")
        try await web.store.audit(actorID: context.user.id, action: "account.2fa_disable", target: context.user.id)
        throw WebRedirect(location: "/console/settings?notice=notice_saved")
    }

    func revokeSession(_ context: SignedInContext) async throws -> Response {
        let id = context.parameters.get("id") ?? ""
        guard try await web.sessions.revoke(id: id, userID: context.user.id) else { throw WebFailure.notFound }
        throw WebRedirect(location: "/console/settings?notice=notice_session_ended")
    }
}
