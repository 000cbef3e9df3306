import Foundation
import HTTPTypes
import Hummingbird
import WharfCore
import WharfPayments
import WharfStorage

/// The admin's payment pages: gateway instances (admin), orders with their callbacks, refunds and the orders whose
/// gateway state and Wharf state disagree (support reads, finance acts), and redemption codes (finance). Every
/// action on an order is audited with its reason.
struct AdminPaymentsController: Sendable {
    let web: WebEnvironment

    func addRoutes(to group: RouterGroup<StaffContext>) {
        group.get("payments") { _, context in try await gateways(context, error: nil) }
        group.post("payments") { _, context in try await addGateway(context) }
        group.post("payments/{id}/enable") { _, context in try await setGateway(context, enabled: true) }
        group.post("payments/{id}/disable") { _, context in try await setGateway(context, enabled: false) }
        group.get("orders") { request, context in try await orders(request, context) }
        group.get("orders/{id}") { _, context in try await order(context, error: nil) }
        group.post("orders/{id}/refund") { _, context in try await refund(context) }
        group.post("orders/{id}/mark-paid") { _, context in try await markPaid(context) }
        group.post("orders/{id}/review") { _, context in try await clearReview(context) }
        group.get("codes") { _, context in try await codes(context, error: nil) }
        group.post("codes") { _, context in try await createCodes(context) }
        group.post("codes/disable") { _, context in try await disableBatch(context) }
    }

    // MARK: gateways

    func gateways(_ context: StaffContext, error: String?, form: [String: String] = [:]) async throws -> Response {
        try context.require(.admin)
        let rows = try await web.store.paymentGateways().map { g -> [String: Any] in
            let exponent = CurrencyAmount.exponent(for: g.currency)
            return [
                "id": g.id, "name": g.name, "kind": g.kind, "currency": g.currency,
                "rate": WebFormat.money(g.creditPerUnit), "methods": g.methods.joined(separator: ", "),
                "limits": [g.minAmount, g.maxAmount].map {
                    $0.map { CurrencyAmount.format($0, exponent: exponent) } ?? "—"
                }
                .joined(separator: " – "),
                "enabled": g.enabled, "toggle": g.enabled ? "disable" : "enable",
                "status": context.visitor.text(g.enabled ? "pay_enabled" : "pay_disabled"),
                "toggleLabel": context.visitor.text(g.enabled ? "admin_disable_channel" : "admin_enable_channel"),
                "callback": PaymentURLs.callback(web.config, gatewayID: g.id),
            ]
        }
        var model: [String: Any] = [
            "tabPayments": true, "gateways": rows,
            "kinds": GatewayKind.allCases.map {
                ["name": $0.rawValue, "selected": $0.rawValue == form["kind"]] as [String: Any]
            },
        ]
        for (key, value) in form { model["v_" + key] = value }
        if let error { model["error"] = error }
        return web.renderer.page(
            "adminPayments", titleKey: "admin_payments", visitor: context.visitor, model: model,
            status: error == nil ? .ok : .badRequest)
    }

    func addGateway(_ context: StaffContext) async throws -> Response {
        try context.require(.admin)
        let f = context.visitor.form
        let kept = [
            "name", "kind", "gateway_url", "merchant_id", "currency", "credit_per_unit", "methods", "min_amount",
            "max_amount",
        ].reduce(into: [String: String]()) { $0[$1] = f[$1] ?? "" }
        let record: PaymentGatewayRecord
        let secrets: PaymentGatewaySecrets
        do {
            (record, secrets) = try PaymentGatewaySetup.make(
                name: f["name"] ?? "", kind: f["kind"] ?? "", gatewayURL: f["gateway_url"] ?? "",
                merchantID: f["merchant_id"], key: f.raw("key") ?? "", webhookSecret: f.raw("webhook_secret"),
                currency: f["currency"] ?? "", creditPerUnit: f["credit_per_unit"] ?? "", methods: f["methods"],
                minAmount: f["min_amount"], maxAmount: f["max_amount"])
        } catch {
            return try await gateways(context, error: context.visitor.text(error.key), form: kept)
        }
        do {
            try await web.store.addPaymentGateway(record, secrets: secrets)
        } catch StoreError.duplicate {
            return try await gateways(context, error: context.visitor.text("err_gw_duplicate"), form: kept)
        }
        try await web.store.audit(
            actorID: context.user.id, action: "payment.add", target: record.id, detail: "kind=\(record.kind)")
        throw WebRedirect(location: "/admin/payments?notice=notice_saved")
    }

    func setGateway(_ context: StaffContext, enabled: Bool) async throws -> Response {
        try context.require(.admin)
        let id = context.parameters.get("id") ?? ""
        guard let gateway = try await web.store.paymentGateway(id: id) else { throw WebFailure.notFound }
        try await web.store.setPaymentGatewayEnabled(name: gateway.name, enabled: enabled)
        try await web.store.audit(
            actorID: context.user.id, action: enabled ? "payment.enable" : "payment.disable", target: gateway.id)
        throw WebRedirect(location: "/admin/payments?notice=notice_saved")
    }

    // MARK: orders

    func orders(_ request: Request, _ context: StaffContext) async throws -> Response {
        let reviewOnly = request.uri.queryParameters.get("review") == "1"
        let page = ConsolePagesController.pageNumber(request)
        let size = 50
        let list = try await web.store.allOrders(reviewOnly: reviewOnly, limit: size + 1, offset: (page - 1) * size)
        let names = Dictionary(
            try await web.store.paymentGateways().map { ($0.id, $0.name) }, uniquingKeysWith: { a, _ in a })
        let v = context.visitor
        var model: [String: Any] = [
            "tabOrders": true, "reviewOnly": reviewOnly, "page": "\(page)",
            "orders": list.prefix(size).map { o -> [String: Any] in
                let exponent = CurrencyAmount.exponent(for: o.currency)
                return [
                    "id": o.id, "user": o.userID, "gateway": names[o.gatewayID] ?? o.gatewayID,
                    "amount": CurrencyAmount.format(o.amount, exponent: exponent) + " " + o.currency,
                    "credit": WebFormat.money(o.credit), "status": v.text("order_status_\(o.status.rawValue)"),
                    "statusCode": o.status.rawValue, "time": WebFormat.time(o.createdAt), "review": o.review ?? "",
                    "late": o.late,
                ]
            },
        ]
        let base = "/admin/orders?" + (reviewOnly ? "review=1&" : "")
        if page > 1 { model["prevHref"] = base + "page=\(page - 1)" }
        if list.count > size { model["nextHref"] = base + "page=\(page + 1)" }
        return web.renderer.page("adminOrders", titleKey: "admin_orders", visitor: v, model: model)
    }

    /// An order's admin page; `refundToken` keeps the token of a refund that failed at the gateway, so retrying it
    /// is the same request (a refund that did go through is then not made twice).
    func order(_ context: StaffContext, error: String?, refundToken: String? = nil) async throws -> Response {
        let id = context.parameters.get("id") ?? ""
        guard OrderNumber.isWellFormed(id), let o = try await web.store.order(id: id) else {
            throw WebFailure.notFound
        }
        let v = context.visitor
        let exponent = CurrencyAmount.exponent(for: o.currency)
        let gateway = try await web.store.paymentGateway(id: o.gatewayID)
        let format = { (minor: Int64) in CurrencyAmount.format(minor, exponent: exponent) }
        var model: [String: Any] = [
            "tabOrders": true, "id": o.id, "user": o.userID, "gateway": gateway?.name ?? o.gatewayID,
            "kind": gateway?.kind ?? "", "method": o.method, "amount": format(o.amount) + " " + o.currency,
            "credit": WebFormat.money(o.credit), "status": v.text("order_status_\(o.status.rawValue)"),
            "statusCode": o.status.rawValue, "created": WebFormat.time(o.createdAt),
            "paid": o.paidAt.map(WebFormat.time) ?? "—", "expires": WebFormat.time(o.expiresAt),
            "tradeNo": o.tradeNo ?? "—", "transactionRef": o.transactionRef ?? "—",
            "providerRef": o.providerRef ?? "—", "late": o.late,
            "refunded": format(o.refundedAmount) + " " + o.currency,
            "refundedCredit": WebFormat.money(o.refundedCredit),
            "disputedCredit": WebFormat.money(o.disputedCredit), "refundable": format(o.amount - o.refundedAmount),
            "canAct": context.user.role >= .finance, "wasPaid": o.status.wasPaid && o.refundedAmount < o.amount,
            "refundToken": refundToken ?? WharfID.make("rfd"),
            "canMarkPaid": o.status == .pending || o.status == .expired,
            "events": try await web.store.paymentEvents(orderID: o.id, limit: 100).map { e in
                [
                    "time": WebFormat.time(e.receivedAt), "source": e.source, "outcome": e.outcome,
                    "detail": e.detail, "address": e.clientIP ?? "—",
                ]
            },
        ]
        if let review = o.review { model["review"] = review }
        if let error { model["error"] = error }
        return web.renderer.page(
            "adminOrder", titleKey: "admin_orders", visitor: v, model: model, status: error == nil ? .ok : .badRequest)
    }

    /// The reason an admin gave (1 to 200 characters), or nil.
    func reason(_ context: StaffContext) -> String? {
        let reason = context.visitor.form["reason"] ?? ""
        return (1...200).contains(reason.count) ? reason : nil
    }

    func refund(_ context: StaffContext) async throws -> Response {
        try context.require(.finance)
        let id = context.parameters.get("id") ?? ""
        guard let order = try await web.store.order(id: id) else { throw WebFailure.notFound }
        let v = context.visitor
        guard let reason = reason(context) else {
            return try await self.order(context, error: v.text("err_reason_required"))
        }
        guard
            let amount = CurrencyAmount.parseMinor(
                v.form["amount"] ?? "", exponent: CurrencyAmount.exponent(for: order.currency)), amount > 0
        else { return try await self.order(context, error: v.text("err_refund_amount")) }
        let token = v.form["refund_token"] ?? ""
        guard token.hasPrefix("rfd_"), token.count <= 40,
            token.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") })
        else { return try await self.order(context, error: v.text("err_refund_amount")) }
        do {
            let outcome = try await web.payments.refund(
                orderID: id, amount: amount, outside: v.form.isChecked("outside"), actorID: context.user.id,
                reason: reason, requestToken: token)
            if case .refused = outcome { return try await self.order(context, error: v.text("err_refund_amount")) }
        } catch let refusal as PaymentService.RefundRefusal {
            let key =
                switch refusal {
                case .unknownOrder, .refused: "err_refund_amount"
                case .partialNotSupported: "err_refund_partial"
                case .gatewayRefused: "err_refund_gateway"
                case .noRefundCall: "err_refund_no_call"
                case .outsideStripe: "err_refund_outside_stripe"
                }
            return try await self.order(
                context, error: v.text(key), refundToken: refusal == .gatewayRefused ? token : nil)
        }
        throw WebRedirect(location: "/admin/orders/\(id)?notice=notice_saved")
    }

    func markPaid(_ context: StaffContext) async throws -> Response {
        try context.require(.finance)
        let id = context.parameters.get("id") ?? ""
        guard try await web.store.order(id: id) != nil else { throw WebFailure.notFound }
        guard let reason = reason(context) else {
            return try await order(context, error: context.visitor.text("err_reason_required"))
        }
        guard case .credited = try await web.payments.markPaid(orderID: id, actorID: context.user.id, reason: reason)
        else { return try await order(context, error: context.visitor.text("err_mark_paid")) }
        throw WebRedirect(location: "/admin/orders/\(id)?notice=notice_saved")
    }

    func clearReview(_ context: StaffContext) async throws -> Response {
        try context.require(.finance)
        let id = context.parameters.get("id") ?? ""
        guard try await web.store.order(id: id) != nil else { throw WebFailure.notFound }
        guard let reason = reason(context) else {
            return try await order(context, error: context.visitor.text("err_reason_required"))
        }
        try await web.store.setOrderReview(id: id, review: nil)
        try await web.store.audit(
            actorID: context.user.id, action: "order.review_cleared", target: id, detail: "reason=\(reason)")
        throw WebRedirect(location: "/admin/orders/\(id)?notice=notice_saved")
    }

    // MARK: codes

    func codes(_ context: StaffContext, error: String?, created: [String] = [], batchID: String? = nil) async throws
        -> Response
    {
        try context.require(.finance)
        var model: [String: Any] = [
            "tabCodes": true, "created": created, "hasCreated": !created.isEmpty, "batch": batchID ?? "",
            "codes": try await web.store.redemptionCodes(limit: 200).map { c in
                [
                    "batch": c.batchID, "hint": "…" + c.hint, "credit": WebFormat.money(c.credit),
                    "status": context.visitor.text("code_status_\(c.status)"), "enabled": c.status == "enabled",
                    "created": WebFormat.time(c.createdAt), "expires": c.expiresAt.map(WebFormat.time) ?? "—",
                    "redeemedBy": c.redeemedBy ?? "—",
                ]
            },
        ]
        if let error { model["error"] = error }
        return web.renderer.page(
            "adminCodes", titleKey: "admin_codes", visitor: context.visitor, model: model,
            status: error == nil ? .ok : .badRequest)
    }

    /// Disables every unredeemed code of a batch (a leaked batch), with a reason in the audit log.
    func disableBatch(_ context: StaffContext) async throws -> Response {
        try context.require(.finance)
        let batch = context.visitor.form["batch"] ?? ""
        guard let reason = reason(context) else {
            return try await codes(context, error: context.visitor.text("err_reason_required"))
        }
        let count = try await web.store.disableRedemptionBatch(batch)
        guard count > 0 else { return try await codes(context, error: context.visitor.text("err_codes_batch")) }
        try await web.store.audit(
            actorID: context.user.id, action: "code.disable_batch", target: batch,
            detail: "count=\(count) reason=\(reason)")
        throw WebRedirect(location: "/admin/codes?notice=notice_saved")
    }

    /// Makes a batch of codes and shows them once: on the page, or (`format=csv`) as a CSV download. They are not
    /// stored, so neither can be asked for again.
    func createCodes(_ context: StaffContext) async throws -> Response {
        try context.require(.finance)
        let f = context.visitor.form
        let v = context.visitor
        guard let credit = try? Money(parsing: f["amount"] ?? ""), credit.micros > 0,
            let count = Int(f["count"] ?? ""), (1...1000).contains(count)
        else { return try await codes(context, error: v.text("err_codes")) }
        var expiresAt: Int64?
        if let text = f["expires_in_days"], !text.isEmpty {
            guard let days = Int(text), (1...3650).contains(days) else {
                return try await codes(context, error: v.text("err_codes"))
            }
            expiresAt = web.clock.nowMillis() + Int64(days) * 86_400_000
        }
        let (batch, made) = try await web.store.createRedemptionCodes(
            count: count, credit: credit, expiresAt: expiresAt, createdBy: context.user.id)
        try await web.store.audit(
            actorID: context.user.id, action: "code.create", target: batch, detail: "count=\(count) credit=\(credit)")
        guard f["format"] == "csv" else { return try await codes(context, error: nil, created: made, batchID: batch) }
        var csv = CSVTable.line(["code", "credit", "expires_at", "batch"])
        for code in made {
            csv += CSVTable.line([code, credit.description, expiresAt.map(WebFormat.time) ?? "", batch])
        }
        var headers = HTTPFields()
        headers[.contentType] = "text/csv; charset=utf-8"
        headers[.contentDisposition] = "attachment; filename=\"wharf-codes-\(batch).csv\""
        headers[.cacheControl] = "no-store"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: .init(string: csv)))
    }
}
