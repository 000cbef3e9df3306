import Foundation
import HTTPTypes
import Hummingbird
import WharfCore
import WharfPayments
import WharfStorage

/// The console's billing pages: balance and ledger, the top-up form and the user's orders, redemption codes, and
/// each order's receipt. Scoped to the signed-in account like every console page; an order of another account is
/// "not found".
struct BillingPagesController: Sendable {
    let web: WebEnvironment
    static let pageSize = 50
    /// Orders listed on the billing page.
    static let ordersShown = 20
    /// Unpaid orders an account may have open at once (each is polled at its gateway until it expires).
    static let maxPendingOrders = 5

    func addRoutes(to group: RouterGroup<SignedInContext>) {
        group.get("billing") { request, context in try await billing(request, context, error: nil) }
        group.post("billing/topup") { request, context in try await topUp(request, context) }
        group.post("billing/redeem") { request, context in try await redeem(request, context) }
        group.get("billing/orders") { request, context in try await allOrders(request, context) }
        group.get("billing/orders/{id}") { _, context in try await receipt(context) }
    }

    /// The gateways a user may pay through, with their limits stated.
    func gatewayModels(_ v: Visitor) async throws -> [[String: Any]] {
        try await web.store.paymentGateways().filter(\.enabled).map { g in
            let exponent = CurrencyAmount.exponent(for: g.currency)
            var limits = [
                v.text("topup_rate").replacingOccurrences(of: "{currency}", with: g.currency)
                    .replacingOccurrences(of: "{rate}", with: WebFormat.money(g.creditPerUnit))
            ]
            if let min = g.minAmount {
                limits.append(
                    v.text("topup_min").replacingOccurrences(
                        of: "{amount}", with: CurrencyAmount.format(min, exponent: exponent) + " " + g.currency))
            }
            if let max = g.maxAmount {
                limits.append(
                    v.text("topup_max").replacingOccurrences(
                        of: "{amount}", with: CurrencyAmount.format(max, exponent: exponent) + " " + g.currency))
            }
            return [
                "name": g.name, "currency": g.currency, "methods": g.methods.joined(separator: ", "),
                "limits": limits.joined(separator: "; "),
            ]
        }
    }

    func billing(_ request: Request, _ context: SignedInContext, error: String?, form: [String: String] = [:])
        async throws -> Response
    {
        let page = ConsolePagesController.pageNumber(request)
        let userID = context.user.id
        let lines = try await web.store.ledgerLines(
            userID: userID, limit: Self.pageSize + 1, offset: (page - 1) * Self.pageSize)
        // A usage charge refers to the key whose requests it settles (one entry per key per writer batch).
        let keyNames = Dictionary(
            try await web.store.keys(userID: userID).map { ($0.id, $0.name) }, uniquingKeysWith: { a, _ in a })
        let v = context.visitor
        let gateways = try await gatewayModels(v)
        let methods = Set(try await web.store.paymentGateways().filter(\.enabled).flatMap(\.methods)).sorted()
        var model: [String: Any] = [
            "tabBilling": true, "balance": WebFormat.money(try await web.store.balance(userID: userID)),
            "page": "\(page)", "gateways": gateways, "hasGateways": !gateways.isEmpty,
            "methods": methods.map { ["name": $0, "selected": $0 == form["method"]] as [String: Any] },
            "amount": form["amount"] ?? "", "presets": ["10", "20", "50", "100", "200"],
            "orders": try await web.store.orders(userID: userID, limit: Self.ordersShown).map { orderRow($0, v) },
            "lines": lines.prefix(Self.pageSize).map { line in
                var reference = line.reason ?? line.reference ?? ""
                if line.kind == LedgerEntryKind.settle.rawValue, let name = line.reference.flatMap({ keyNames[$0] }) {
                    reference = v.text("billing_key_usage").replacingOccurrences(of: "{name}", with: name)
                }
                return [
                    "time": WebFormat.time(line.createdAt), "kind": line.kind, "amount": WebFormat.money(line.amount),
                    "reference": reference,
                ]
            },
        ]
        if let chosen = form["gateway"] {
            model["gateways"] = gateways.map { g -> [String: Any] in
                var g = g
                g["selected"] = (g["name"] as? String) == chosen
                return g
            }
        }
        if let error { model["error"] = v.text(error) }
        if page > 1 { model["prevHref"] = "/console/billing?page=\(page - 1)" }
        if lines.count > Self.pageSize { model["nextHref"] = "/console/billing?page=\(page + 1)" }
        return web.renderer.page(
            "billing", titleKey: "console_billing", visitor: v, model: model,
            status: error == nil ? .ok : .badRequest, formActions: try await gatewayOrigins())
    }

    /// Origins the billing form's answer may redirect to: a 303 after a form post is held to the page's
    /// `form-action` policy, so the gateways' pay pages must be named (https pages in general, and each configured
    /// gateway's own origin, which may be plain http on a private network).
    func gatewayOrigins() async throws -> [String] {
        let origins = try await web.store.paymentGateways().filter(\.enabled).compactMap {
            Self.origin(of: $0.gatewayURL)
        }
        return ["https:"] + Set(origins).sorted()
    }

    static func origin(of url: String) -> String? {
        guard let parts = URLComponents(string: url), let scheme = parts.scheme?.lowercased(),
            scheme == "http" || scheme == "https", let host = parts.host, !host.isEmpty,
            host.allSatisfy({
                $0.isLetter || $0.isNumber || $0 == "." || $0 == "-" || $0 == ":" || $0 == "[" || $0 == "]"
            })
        else { return nil }
        return "\(scheme)://\(host)" + (parts.port.map { ":\($0)" } ?? "")
    }

    func orderRow(_ order: PaymentOrder, _ v: Visitor) -> [String: Any] {
        let exponent = CurrencyAmount.exponent(for: order.currency)
        return [
            "id": order.id, "time": WebFormat.time(order.createdAt), "method": order.method,
            "amount": CurrencyAmount.format(order.amount, exponent: exponent) + " " + order.currency,
            "credit": WebFormat.money(order.credit), "status": v.text("order_status_\(order.status.rawValue)"),
            "statusCode": order.status.rawValue,
        ]
    }

    /// Every order of the account, newest first, 50 a page.
    func allOrders(_ request: Request, _ context: SignedInContext) async throws -> Response {
        let page = ConsolePagesController.pageNumber(request)
        let list = try await web.store.orders(
            userID: context.user.id, limit: Self.pageSize + 1, offset: (page - 1) * Self.pageSize)
        var model: [String: Any] = [
            "tabBilling": true, "page": "\(page)",
            "orders": list.prefix(Self.pageSize).map { orderRow($0, context.visitor) },
        ]
        if page > 1 { model["prevHref"] = "/console/billing/orders?page=\(page - 1)" }
        if list.count > Self.pageSize { model["nextHref"] = "/console/billing/orders?page=\(page + 1)" }
        return web.renderer.page("orders", titleKey: "orders_heading", visitor: context.visitor, model: model)
    }

    /// `POST /console/billing/topup` (`gateway`, `amount`, optional `method`): creates the order and sends the
    /// browser to the gateway: 303 to its pay page, or (Epay) a page whose form posts the signed order to it.
    func topUp(_ request: Request, _ context: SignedInContext) async throws -> Response {
        let form = context.visitor.form
        let values = ["gateway", "amount", "method"].reduce(into: [String: String]()) { $0[$1] = form[$1] ?? "" }
        let now = web.clock.nowMillis()
        web.topUps.pruneIdle(now: now)
        guard web.topUps.admit(keyID: "account:\(context.user.id)", perMinute: nil, now: now).allowed else {
            return try await billing(request, context, error: "err_topup_rate", form: values)
        }
        guard try await web.store.pendingOrderCount(userID: context.user.id) < Self.maxPendingOrders else {
            return try await billing(request, context, error: "err_topup_pending", form: values)
        }
        do {
            let (order, start) = try await web.payments.startTopUp(
                userID: context.user.id, gatewayName: values["gateway"] ?? "", amountText: values["amount"] ?? "",
                method: values["method"])
            try await web.store.audit(actorID: context.user.id, action: "order.create", target: order.id)
            switch start {
            case .redirect(let url):
                throw WebRedirect(location: url)
            case .form(let action, let fields):
                let model: [String: Any] = [
                    "action": action, "fields": fields.map { ["name": $0.0, "value": $0.1] }, "orderID": order.id,
                ]
                return web.renderer.page(
                    "payRedirect", titleKey: "pay_redirect_title", visitor: context.visitor, model: model,
                    // As the billing page: Epay's submit.php may itself hand the payer on to an https cashier.
                    formActions: ["https:"] + (Self.origin(of: action).map { [$0] } ?? []),
                    scriptHashes: [Templates.autoSubmitScriptHash])
            }
        } catch let refusal as PaymentService.TopUpRefusal {
            let key =
                switch refusal {
                case .unknownGateway: "err_topup_gateway"
                case .badMethod: "err_topup_method"
                case .badAmount: "err_topup_amount"
                case .belowMinimum: "err_topup_min"
                case .aboveMaximum: "err_topup_max"
                case .gatewayUnavailable: "err_topup_unavailable"
                }
            return try await billing(request, context, error: key, form: values)
        }
    }

    /// `POST /console/billing/redeem` (`code`). Failed attempts are limited per account and per address (10 per
    /// 10 minutes each), and every failure gets the same answer, whether the code is unknown, used or expired.
    func redeem(_ request: Request, _ context: SignedInContext) async throws -> Response {
        let now = web.clock.nowMillis()
        let limiter = web.redeemFailures
        limiter.pruneIdle(now: now)
        let scopes = [
            "account:\(context.user.id)", "address:\(ClientAddress.limitScope(context.visitor.clientAddress))",
        ]
        // A token is taken before the lookup (so concurrent attempts cannot overshoot the limit) and given back
        // when the code was good: only failures count.
        var taken: [String] = []
        for scope in scopes {
            guard limiter.admit(keyID: scope, perMinute: nil, now: now).allowed else {
                for scope in taken { limiter.giveBack(keyID: scope, now: now) }
                return try await billing(request, context, error: "err_redeem_rate")
            }
            taken.append(scope)
        }
        switch try await web.store.redeemCode(context.visitor.form["code"] ?? "", userID: context.user.id) {
        case .credited(let credit):
            for scope in taken { limiter.giveBack(keyID: scope, now: now) }
            try await web.store.audit(
                actorID: context.user.id, action: "code.redeem", target: context.user.id, detail: "credit=\(credit)")
            throw WebRedirect(location: "/console/billing?notice=notice_redeemed")
        case .refused:
            return try await billing(request, context, error: "err_redeem")
        }
    }

    /// An order's receipt (where the payer's browser returns). It never credits anything itself: while the order
    /// is pending it asks the gateway (at most a few times a minute per order), and a payment the gateway confirms
    /// goes through the one settle step.
    func receipt(_ context: SignedInContext) async throws -> Response {
        let id = context.parameters.get("id") ?? ""
        guard OrderNumber.isWellFormed(id), var order = try await web.store.order(id: id),
            order.userID == context.user.id
        else { throw WebFailure.notFound }
        let now = web.clock.nowMillis()
        // Pending, or expired within the last three days (the payer may have paid late and its notify been lost).
        let watched =
            order.status == .pending
            || (order.status == .expired && now < order.expiresAt + PaymentReconciler.lateWatchMillis)
        if watched, web.topUps.admit(keyID: "poll:\(order.id)", perMinute: 6, now: now).allowed,
            web.topUps.admit(keyID: "poll-account:\(context.user.id)", perMinute: 6, now: now).allowed
        {
            order = await web.payments.poll(order, source: "return")
        }
        let v = context.visitor
        let exponent = CurrencyAmount.exponent(for: order.currency)
        let gateway = try await web.store.paymentGateway(id: order.gatewayID)
        var model = orderRow(order, v)
        model["tabBilling"] = true
        model["created"] = WebFormat.time(order.createdAt)
        model["paid"] = order.paidAt.map(WebFormat.time) ?? "—"
        model["paidAt"] = order.paidAt != nil
        model["email"] = context.user.email
        model["gateway"] = gateway?.name ?? "—"
        model["pending"] = order.status == .pending
        model["currency"] = order.currency
        if order.refundedAmount > 0 {
            model["refunded"] = CurrencyAmount.format(order.refundedAmount, exponent: exponent) + " " + order.currency
        }
        return web.renderer.page("receipt", titleKey: "receipt_title", visitor: v, model: model)
    }
}
