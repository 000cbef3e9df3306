import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import WharfCore
import WharfStorage
import WharfUpstream

/// The admin pages. ``StaffContext`` admits support and above from the admin allowlist; each action then checks
/// its own least role (support reads users and the inbox; finance adjusts credit; admin manages roles, status,
/// channels, prices and reads the audit log). Every change is written to the hash-chained audit log, by account id
/// only (no email or name in the row).
struct AdminPagesController: Sendable {
    let web: WebEnvironment

    func addRoutes(to group: RouterGroup<StaffContext>) {
        group.get("") { _, _ -> Response in throw WebRedirect(location: "/admin/users") }
        group.get("users") { request, context in try await users(request, context) }
        group.get("users/{id}") { _, context in try await user(context) }
        group.post("users/{id}/credit") { _, context in try await adjustCredit(context) }
        group.post("users/{id}/role") { _, context in try await changeRole(context) }
        group.post("users/{id}/status") { _, context in try await changeStatus(context) }
        group.get("channels") { _, context in try await channels(context) }
        group.post("channels") { _, context in try await addChannel(context) }
        group.get("channels/{id}") { _, context in try await channel(context) }
        group.post("channels/{id}") { _, context in try await editChannel(context) }
        group.get("settings") { _, context in try await settings(context) }
        group.post("settings") { _, context in try await saveSettings(context) }
        group.post("channels/{id}/enable") { _, context in try await setChannel(context, .enabled) }
        group.post("channels/{id}/disable") { _, context in try await setChannel(context, .disabled) }
        group.post("channels/{id}/test") { _, context in try await testChannel(context) }
        group.get("prices") { _, context in try await prices(context, error: nil) }
        group.post("prices") { _, context in try await setPrice(context) }
        group.get("support") { _, context in try await support(context) }
        group.post("support/{id}/close") { _, context in try await closeSupport(context) }
        group.post("support/{id}/reply") { _, context in try await replySupport(context) }
        group.get("audit") { _, context in try await audit(context) }
    }

    func users(_ request: Request, _ context: StaffContext) async throws -> Response {
        let query = String((request.uri.queryParameters.get("q") ?? "").prefix(100))
        let balances = try await web.store.allBalances()
        let users = try await web.store.searchUsers(query: query).map {
            [
                "id": $0.id, "email": $0.email, "username": $0.username, "role": $0.role.rawValue,
                "status": $0.status.rawValue, "balance": WebFormat.money(balances[$0.id] ?? .zero),
            ]
        }
        return web.renderer.page(
            "adminUsers", titleKey: "admin_users", visitor: context.visitor,
            model: ["tabUsers": true, "users": users, "query": query])
    }

    func target(_ context: StaffContext) async throws -> UserRecord {
        guard let user = try await web.store.user(id: context.parameters.get("id") ?? "") else {
            throw WebFailure.notFound
        }
        return user
    }

    func user(_ context: StaffContext, error: String? = nil) async throws -> Response {
        let user = try await target(context)
        var model: [String: Any] = [
            "tabUsers": true, "id": user.id, "email": user.email, "username": user.username,
            "role": user.role.rawValue, "status": user.status.rawValue, "active": user.status == .active,
            "balance": WebFormat.money(try await web.store.balance(userID: user.id)),
            "canAdjust": context.user.role >= .finance,
            "canManage": context.user.role >= .admin && user.id != context.user.id,
            "roles": Role.allCases.filter { $0 < context.user.role || context.user.role == .root }.map {
                ["name": $0.rawValue, "current": $0 == user.role] as [String: Any]
            },
        ]
        if let error { model["error"] = context.visitor.text(error) }
        return web.renderer.page(
            "adminUser", titleKey: "admin_users", visitor: context.visitor, model: model,
            status: error == nil ? .ok : .badRequest)
    }

    /// Adds or removes credit with a required reason; the balance never goes below zero.
    func adjustCredit(_ context: StaffContext) async throws -> Response {
        try context.require(.finance)
        let user = try await target(context)
        guard user.id != context.user.id else { return try await self.user(context, error: "err_self_credit") }
        let form = context.visitor.form
        let reason = form["reason"] ?? ""
        guard !reason.isEmpty, reason.count <= 200 else {
            return try await self.user(context, error: "err_reason_required")
        }
        guard let amount = try? Money(parsing: form["amount"] ?? ""), amount.micros != 0 else {
            return try await self.user(context, error: "err_amount")
        }
        do {
            _ = try await web.store.post(userID: user.id, kind: .adjustment, amount: amount, reason: reason)
        } catch StoreError.insufficientBalance {
            return try await self.user(context, error: "err_insufficient")
        }
        try await web.store.audit(
            actorID: context.user.id, action: "credit.adjust", target: user.id, detail: "amount=\(amount)")
        throw WebRedirect(location: "/admin/users/\(user.id)?notice=notice_credit_adjusted")
    }

    /// Changes a role: only up to the actor's own role, never the actor's own.
    func changeRole(_ context: StaffContext) async throws -> Response {
        try context.require(.admin)
        let user = try await target(context)
        // Only accounts below the actor's own role can be changed, and only to a role below it (root may do both
        // at its own level).
        let actor = context.user.role
        guard let role = context.visitor.form["role"].flatMap(Role.init(rawValue:)), user.id != context.user.id,
            actor == .root || (role < actor && user.role < actor)
        else { return try await self.user(context, error: "err_role_forbidden") }
        try await web.store.setRole(userID: user.id, role: role)
        try await web.store.audit(
            actorID: context.user.id, action: "user.role", target: user.id, detail: "role=\(role.rawValue)")
        throw WebRedirect(location: "/admin/users/\(user.id)?notice=notice_saved")
    }

    func changeStatus(_ context: StaffContext) async throws -> Response {
        try context.require(.admin)
        let user = try await target(context)
        guard user.id != context.user.id, context.user.role == .root || user.role < context.user.role,
            // Only between active and disabled: an erased account stays erased, and a freeze is the owner's to lift.
            user.status == .active || user.status == .disabled,
            let status = context.visitor.form["status"].flatMap(AccountStatus.init(rawValue:)),
            status == .active || status == .disabled
        else { return try await self.user(context, error: "err_role_forbidden") }
        try await web.store.setStatus(userID: user.id, status: status)
        try await web.store.audit(
            actorID: context.user.id, action: "user.status", target: user.id, detail: "status=\(status.rawValue)")
        throw WebRedirect(location: "/admin/users/\(user.id)?notice=notice_saved")
    }

    func channels(_ context: StaffContext, error: String? = nil, notice: String? = nil) async throws -> Response {
        try context.require(.admin)
        let v = context.visitor
        let stored = try await web.store.channelHealth()
        let rows = try await web.store.channels().map { c -> [String: String] in
            let h = stored[c.id]
            let rate = h.map { $0.requests > 0 ? "\($0.failures * 100 / $0.requests)%" : "0%" } ?? "—"
            let enabled = c.status == .enabled
            return [
                "id": c.id, "name": c.name, "provider": c.provider.rawValue, "models": c.models.joined(separator: ", "),
                "region": c.region, "status": c.status.rawValue,
                "health": v.text("health_" + web.health.state(c.id).replacingOccurrences(of: "-", with: "_")),
                "errorRate": rate,
                "latency": h.map { "\($0.latencyMillis) ms" } ?? "—", "toggleAction": enabled ? "disable" : "enable",
                "toggleLabel": v.text(enabled ? "admin_disable_channel" : "admin_enable_channel"),
            ]
        }
        var model: [String: Any] = [
            "tabChannels": true, "channels": rows, "providers": ProviderKind.allCases.map(\.rawValue),
        ]
        if let error { model["error"] = error }
        if let notice { model["notice"] = notice }
        return web.renderer.page(
            "adminChannels", titleKey: "admin_channels", visitor: v, model: model,
            status: error == nil ? .ok : .badRequest)
    }

    func addChannel(_ context: StaffContext) async throws -> Response {
        try context.require(.admin)
        let f = context.visitor.form
        let invalid = context.visitor.text("err_channel_invalid")
        guard let name = f["name"], !name.isEmpty, name.count <= 64,
            let provider = f["provider"].flatMap(ProviderKind.init(rawValue:)),
            let base = f["base_url"], let url = URL(string: base), ["http", "https"].contains(url.scheme ?? ""),
            url.host != nil, let key = f.raw("api_key"), !key.isEmpty, key.count <= 500,
            let models = f["models"]?.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) })
                .filter({ !$0.isEmpty }), !models.isEmpty,
            let priority = Int(f["priority"] ?? "0"), let weight = Int(f["weight"] ?? "1"),
            (-1000...1000).contains(priority), (1...1000).contains(weight)
        else { return try await channels(context, error: invalid) }
        if let refused = await UpstreamAddressCheck.refusal(baseURL: base, policy: web.config.upstreamAddresses) {
            return try await channels(context, error: invalid + " " + refused)
        }
        let channel = Channel(
            id: WharfID.make("ch"), name: name, provider: provider, baseURL: base, models: models,
            modelMapping: [:], priority: priority, weight: weight,
            region: String((f["region"] ?? "unknown").prefix(40)),
            dataPolicy: DataPolicy(retains: f.isChecked("retains"), trains: f.isChecked("trains")), status: .enabled,
            capabilities: [])
        do {
            try await web.store.addChannel(channel, apiKey: key)
        } catch StoreError.duplicate {
            return try await channels(context, error: invalid)
        }
        try await web.store.audit(actorID: context.user.id, action: "channel.add", target: channel.id)
        throw WebRedirect(location: "/admin/channels?notice=notice_channel_added")
    }

    func findChannel(_ context: StaffContext) async throws -> WharfCore.Channel {
        let id = context.parameters.get("id") ?? ""
        guard let channel = try await web.store.channels().first(where: { $0.id == id }) else {
            throw WebFailure.notFound
        }
        return channel
    }

    func channel(_ context: StaffContext, error: String? = nil) async throws -> Response {
        try context.require(.admin)
        let c = try await findChannel(context)
        var model: [String: Any] = [
            "tabChannels": true, "id": c.id, "name": c.name, "provider": c.provider.rawValue,
            "status": c.status.rawValue, "baseURL": c.baseURL, "models": c.models.joined(separator: ", "),
            "mapping": c.modelMapping.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(
                separator: ", "),
            "capabilities": c.capabilities.sorted().joined(separator: ", "), "priority": "\(c.priority)",
            "weight": "\(c.weight)", "region": c.region, "retains": c.dataPolicy.retains, "trains": c.dataPolicy.trains,
        ]
        if let error { model["error"] = context.visitor.text(error) }
        return web.renderer.page(
            "adminChannel", titleKey: "admin_channels", visitor: context.visitor, model: model,
            status: error == nil ? .ok : .badRequest)
    }

    /// Saves a channel's routing and declaration fields; an empty key field keeps the stored key.
    func editChannel(_ context: StaffContext) async throws -> Response {
        try context.require(.admin)
        var c = try await findChannel(context)
        let f = context.visitor.form
        func list(_ name: String) -> [String] {
            (f[name] ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        }
        var mapping: [String: String] = [:]
        for pair in list("mapping") {
            let parts = pair.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
                return try await channel(context, error: "err_channel_invalid")
            }
            mapping[parts[0]] = parts[1]
        }
        guard let base = f["base_url"], let url = URL(string: base), ["http", "https"].contains(url.scheme ?? ""),
            url.host != nil, !list("models").isEmpty, let priority = Int(f["priority"] ?? ""),
            let weight = Int(f["weight"] ?? ""), (-1000...1000).contains(priority), (1...1000).contains(weight)
        else { return try await channel(context, error: "err_channel_invalid") }
        if await UpstreamAddressCheck.refusal(baseURL: base, policy: web.config.upstreamAddresses) != nil {
            return try await channel(context, error: "err_channel_address")
        }
        c.baseURL = base
        c.models = list("models")
        c.modelMapping = mapping
        c.capabilities = Set(list("capabilities"))
        c.priority = priority
        c.weight = weight
        c.region = String((f["region"] ?? "unknown").prefix(40))
        c.dataPolicy = DataPolicy(retains: f.isChecked("retains"), trains: f.isChecked("trains"))
        let key = f.raw("api_key").flatMap { $0.isEmpty ? nil : $0 }
        try await web.store.updateChannel(c, apiKey: key)
        try await web.store.audit(
            actorID: context.user.id, action: "channel.edit", target: c.id, detail: key == nil ? "" : "key=replaced")
        throw WebRedirect(location: "/admin/channels?notice=notice_saved")
    }

    func settings(_ context: StaffContext) async throws -> Response {
        try context.require(.admin)
        let c = web.config
        let outbox = try await web.store.outboxCounts()
        let effective: [(String, String)] = [
            ("public_url", c.effectivePublicURL), ("policy_version", c.policyVersion),
            ("session_idle_minutes", "\(c.sessionIdleMinutes)"),
            ("session_absolute_hours", "\(c.sessionAbsoluteHours)"),
            ("cookie_secure", c.secureCookies ? "true" : "false"),
            ("email_verification", c.emailVerificationRequired ? "required" : "off"),
            ("smtp", c.smtpHost.map { "\($0):\(c.smtpPort) (\(c.smtpSecurity))" } ?? "not configured"),
            ("outbox", outbox.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")),
            ("telegram_login", c.telegramBotToken == nil ? "off" : "on"), ("client_ip_mode", c.clientIPMode),
            ("admin_allowlist", c.adminAllowlist.map(\.description).joined(separator: ", ")),
            ("trusted_proxies", c.trustedProxies.map(\.description).joined(separator: ", ")),
        ]
        return web.renderer.page(
            "adminSettings", titleKey: "admin_settings", visitor: context.visitor,
            model: [
                "tabSettings": true,
                "registrationOpen": try await web.store.setting(SiteSettings.registration) != "closed",
                "siteNotice": try await web.store.setting(SiteSettings.siteNotice) ?? "",
                "effective": effective.map { ["name": $0.0, "value": $0.1] },
            ])
    }

    func saveSettings(_ context: StaffContext) async throws -> Response {
        try context.require(.admin)
        let f = context.visitor.form
        let notice = String((f["site_notice"] ?? "").prefix(500))
        let open = f.isChecked("registration_open")
        try await web.store.setSetting(SiteSettings.registration, open ? nil : "closed")
        try await web.store.setSetting(SiteSettings.siteNotice, notice.isEmpty ? nil : notice)
        try await web.store.audit(
            actorID: context.user.id, action: "settings.change",
            target: nil, detail: "registration=\(open ? "open" : "closed") notice=\(notice.isEmpty ? "none" : "set")")
        throw WebRedirect(location: "/admin/settings?notice=notice_saved")
    }

    func setChannel(_ context: StaffContext, _ status: ChannelStatus) async throws -> Response {
        try context.require(.admin)
        let id = context.parameters.get("id") ?? ""
        do { try await web.store.setChannelStatus(id, status) } catch StoreError.notFound { throw WebFailure.notFound }
        try await web.store.audit(
            actorID: context.user.id, action: "channel.\(status == .enabled ? "enable" : "disable")", target: id)
        throw WebRedirect(location: "/admin/channels?notice=notice_saved")
    }

    /// Sends one real, minimal chat request (`max_tokens: 1`) to the channel and reports the outcome (status only;
    /// the upstream's answer is not shown or kept).
    func testChannel(_ context: StaffContext) async throws -> Response {
        try context.require(.admin)
        let id = context.parameters.get("id") ?? ""
        guard let found = try await web.store.enabledChannelsWithSecrets().first(where: { $0.channel.id == id }),
            let model = found.channel.models.first
        else { return try await channels(context, error: context.visitor.text("err_not_found")) }
        // Checked again now (the name may resolve elsewhere than when the channel was saved), and the request goes
        // to the very address checked.
        let address: String?
        switch await UpstreamAddressCheck.pinnedAddress(
            baseURL: found.channel.baseURL, policy: web.config.upstreamAddresses)
        {
        case .success(let pinned): address = pinned
        case .failure(let failure):
            return try await channels(context, error: context.visitor.text("notice_test_failed") + " " + failure.text)
        }
        let target = UpstreamTarget(channel: found.channel, apiKey: found.apiKey)
        // The smallest request in the channel's own dialect.
        let upstreamModel = found.channel.upstreamModel(for: model)
        let ping = IRRequest(
            model: model, messages: [IRMessage(role: .user, parts: [.text("ping")])], maxOutputTokens: 1)
        let request: (path: String, body: [UInt8], headers: [(name: String, value: String)])
        switch target.dialect {
        case .openAIChat:
            request = ("/chat/completions", OpenAIChatRequestEncoder.encode(ping, upstreamModel: upstreamModel), [])
        case .anthropicMessages:
            request = (
                "/v1/messages", AnthropicRequestEncoder.encode(ping, upstreamModel: upstreamModel, defaultMaxTokens: 1),
                [("anthropic-version", UpstreamTarget.defaultAnthropicVersion)]
            )
        case .gemini:
            request = (
                GeminiRequestEncoder.path(upstreamModel: upstreamModel, stream: false),
                GeminiRequestEncoder.encode(ping), []
            )
        }
        let outcome: String
        do {
            let status = try await web.upstream.probe(
                target: target, path: request.path, body: ByteBuffer(bytes: request.body), address: address,
                headers: request.headers)
            // The status only: never the upstream's body.
            outcome =
                context.visitor.text((200..<300).contains(status) ? "notice_test_ok" : "notice_test_failed")
                + " (HTTP \(status))"
        } catch {
            return try await channels(context, error: context.visitor.text("notice_test_failed"))
        }
        try await web.store.audit(actorID: context.user.id, action: "channel.test", target: id)
        return try await channels(context, notice: outcome)
    }

    func prices(_ context: StaffContext, error: String?) async throws -> Response {
        try context.require(.admin)
        let prices = try await web.store.prices().sorted { $0.key < $1.key }.map { model, p in
            [
                "model": model, "input": WebFormat.money(p.inputPerMillion),
                "cached": WebFormat.money(p.cachedInputPerMillion),
                "cacheWrite": WebFormat.money(p.cacheWritePerMillion),
                "output": WebFormat.money(p.outputPerMillion),
            ]
        }
        var model: [String: Any] = ["tabPrices": true, "prices": prices]
        if let error { model["error"] = context.visitor.text(error) }
        return web.renderer.page(
            "adminPrices", titleKey: "admin_prices", visitor: context.visitor, model: model,
            status: error == nil ? .ok : .badRequest)
    }

    func setPrice(_ context: StaffContext) async throws -> Response {
        try context.require(.admin)
        let f = context.visitor.form
        func amount(_ name: String) -> Money? {
            guard let text = f[name], let m = try? Money(parsing: text), m.micros >= 0 else { return nil }
            return m
        }
        guard let model = f["model"], !model.isEmpty, model.count <= 100, let input = amount("input"),
            let output = amount("output")
        else { return try await prices(context, error: "err_price_invalid") }
        // Optional rates: empty means "the input price"; anything else must be an amount.
        func optionalAmount(_ name: String) -> Money?? {
            let text = f[name] ?? ""
            if text.isEmpty { return .some(nil) }
            return amount(name).map { .some($0) }
        }
        guard let cached = optionalAmount("cached"), let cacheWrite = optionalAmount("cache_write") else {
            return try await prices(context, error: "err_price_invalid")
        }
        let price = ModelPrice(
            inputPerMillion: input, outputPerMillion: output, cachedInputPerMillion: cached,
            cacheWritePerMillion: cacheWrite)
        try await web.store.setPrice(model: model, price: price)
        try await web.store.audit(
            actorID: context.user.id, action: "price.set", target: nil,
            detail:
                "model=\(model) input=\(input) output=\(output) cache_read=\(price.cachedInputPerMillion) "
                + "cache_write=\(price.cacheWritePerMillion)")
        throw WebRedirect(location: "/admin/prices?notice=notice_saved")
    }

    func support(_ context: StaffContext, error: String? = nil) async throws -> Response {
        var messages: [[String: Any]] = []
        for m in try await web.store.supportMessages() {
            let replies = try await web.store.supportReplies(messageID: m.id).map {
                [
                    "body": $0.body, "time": WebFormat.time($0.createdAt), "actor": $0.actorID,
                    "fromUser": m.userID != nil && $0.actorID == m.userID,
                ] as [String: Any]
            }
            messages.append([
                "id": m.id, "email": m.email, "subject": m.subject, "body": m.body, "time": WebFormat.time(m.createdAt),
                "replies": replies,
            ])
        }
        var model: [String: Any] = ["tabSupport": true, "messages": messages]
        if let error { model["error"] = context.visitor.text(error) }
        return web.renderer.page(
            "adminSupport", titleKey: "admin_support", visitor: context.visitor, model: model,
            status: error == nil ? .ok : .badRequest)
    }

    /// Answers a message by email (through the outbox, in the sender's language when they have an account) and
    /// keeps the reply as the follow-up record.
    func replySupport(_ context: StaffContext) async throws -> Response {
        guard let message = try await web.store.supportMessage(id: context.parameters.get("id") ?? "") else {
            throw WebFailure.notFound
        }
        let body = context.visitor.form["reply"] ?? ""
        guard !body.isEmpty, body.count <= 5000 else { return try await support(context, error: "err_required") }
        // The answer goes to the account's current address (it may have changed since the ticket was opened); a
        // message sent before signing in is tied to the account with that address, so erasing it drops the mail.
        var language = Language.english
        var recipient = message.email
        var recipientID = message.userID
        let account: UserRecord? =
            if let userID = message.userID { try await web.store.user(id: userID) } else {
                try await web.store.user(email: message.email)
            }
        if let account, account.status != .erased, message.userID != nil || account.emailVerifiedAt != nil {
            recipient = account.email
            recipientID = account.id
            language = account.language.flatMap(Language.init(tag:)) ?? .english
        }
        let text =
            body + "\n\n— " + Translations.text("mail_support_footer", language) + "\n\n> "
            + message.body.split(separator: "\n", omittingEmptySubsequences: false).joined(separator: "\n> ")
        try await web.queueMail(
            toAddress: recipient, userID: recipientID, kind: "support_reply",
            subject: "Re: " + message.subject, text: text)
        try await web.store.addSupportReply(messageID: message.id, actorID: context.user.id, body: body)
        try await web.store.audit(actorID: context.user.id, action: "support.reply", target: message.id)
        throw WebRedirect(location: "/admin/support?notice=notice_reply_sent")
    }

    func closeSupport(_ context: StaffContext) async throws -> Response {
        let id = context.parameters.get("id") ?? ""
        do { try await web.store.closeSupportMessage(id: id) } catch StoreError.notFound { throw WebFailure.notFound }
        try await web.store.audit(actorID: context.user.id, action: "support.close", target: id)
        throw WebRedirect(location: "/admin/support?notice=notice_saved")
    }

    func audit(_ context: StaffContext) async throws -> Response {
        try context.require(.admin)
        let v = context.visitor
        let (verdict, fullAt, fullRunning) = try await web.auditMonitor.verdict()
        let status =
            verdict.ok
            ? v.text("admin_chain_ok") : v.text("admin_chain_broken") + " \(verdict.brokenAt.map(String.init) ?? "-")"
        var full = fullAt.map {
            v.text("admin_chain_full_at").replacingOccurrences(of: "{time}", with: WebFormat.time($0))
        }
        if fullRunning { full = v.text("admin_chain_full_running") }
        let entries = try await web.store.auditEntries(limit: 200).map {
            [
                "seq": "\($0.seq)", "time": WebFormat.time($0.createdAt), "actor": $0.actorID ?? "system",
                "action": $0.action, "target": $0.target ?? "", "detail": $0.detail,
            ]
        }
        return web.renderer.page(
            "adminAudit", titleKey: "admin_audit", visitor: v,
            model: ["tabAudit": true, "entries": entries, "chainStatus": status, "fullStatus": full ?? ""])
    }
}
