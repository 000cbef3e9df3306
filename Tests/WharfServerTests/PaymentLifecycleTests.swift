import Foundation
import Logging
import NIOHTTP1
import Testing
import WharfCore
import WharfPayments
import WharfServer
import WharfStorage

/// After the money came in: Stripe refunds and disputes, an admin's refund through the gateway, reconciliation by
/// polling, redemption codes in the console, and top-ups the form refuses. Every amount is the one the policy says.
/// Serialized, like the callback scenarios: each runs a whole server.
@Suite("Payments: refunds, disputes, reconciliation, codes and the top-up form", .serialized)
struct PaymentLifecycleTests {
    static let start = Money(micros: 5_000_000)

    /// Tops up 10 USD through Stripe and confirms it: alice then has 15.000000.
    static func paidStripeOrder(_ h: PaymentHarness) async throws -> PaymentOrder {
        let order = try #require(try await h.topUp("stripe", amount: "10").1)
        let event = PaymentHarness.stripeEvent(
            "checkout.session.completed", object: PaymentHarness.stripeSession(order))
        #expect(try await h.deliver(event, to: "stripe").status == 200)
        #expect(try await h.balance() == Money(micros: 15_000_000))
        return try #require(try await h.store.order(id: order.id))
    }

    /// The one-time refund token of an admin order page.
    static func refundToken(_ page: WebBrowser.Page) throws -> String {
        let marker = #"name="refund_token" value=""#
        let start = try #require(page.body.range(of: marker)).upperBound
        return String(page.body[start...].prefix { $0 != "\"" })
    }

    static func charge(_ order: PaymentOrder, refunded: Int64) -> String {
        #"{"id":"ch_\#(order.id)","object":"charge","payment_intent":"pi_\#(order.id)","amount":1000,"#
            + #""amount_captured":1000,"amount_refunded":\#(refunded),"currency":"usd","refunded":false}"#
    }

    static func dispute(_ order: PaymentOrder, status: String) -> String {
        #"{"id":"dp_\#(order.id)","object":"dispute","payment_intent":"pi_\#(order.id)","amount":1000,"#
            + #""currency":"usd","status":"\#(status)"}"#
    }

    @Test(
        "Stripe partial refunds take back 30% then 70% of the credit, replays add nothing; a dispute claws the rest back, the relay refuses the negative balance, a won dispute restores it once",
        arguments: PaymentHarness.backends)
    func stripeRefundsAndDisputes(backend: String) async throws {
        try await PaymentHarness.with(backend) { h in
            let order = try await Self.paidStripeOrder(h)
            #expect(order.paymentIntent == "pi_\(order.id)")
            let refund30 = PaymentHarness.stripeEvent("charge.refunded", object: Self.charge(order, refunded: 300))
            #expect(try await h.deliver(refund30, to: "stripe").status == 200)
            #expect(try await h.balance() == Money(micros: 12_000_000))
            #expect(try await h.deliver(refund30, to: "stripe").status == 200)
            #expect(try await h.balance() == Money(micros: 12_000_000))
            #expect(try await h.store.order(id: order.id)?.status == .partiallyRefunded)
            // The rest is spent, then the payer disputes the charge: the 7.000000 left of the order is held back.
            _ = try await h.store.post(
                userID: h.relay.user.id, kind: .adjustment, amount: Money(micros: -11_000_000), reason: "spent")
            let opened = PaymentHarness.stripeEvent(
                "charge.dispute.created", object: Self.dispute(order, status: "needs_response"))
            #expect(try await h.deliver(opened, to: "stripe").status == 200)
            #expect(try await h.deliver(opened, to: "stripe").status == 200)
            #expect(try await h.balance() == Money(micros: -6_000_000))
            #expect(try await h.store.order(id: order.id)?.status == .disputed)
            // The relay refuses an account below zero.
            try await h.relay.services.watcher.reload()
            await h.relay.services.writer.flush()
            try await h.relay.services.writer.loadBalances()
            let refused = try await h.relay.request("/v1/chat/completions", body: RelayHarness.chat())
            #expect(refused.status == 429)
            #expect(refused.errorCode == "insufficient_quota")
            let won = PaymentHarness.stripeEvent("charge.dispute.closed", object: Self.dispute(order, status: "won"))
            #expect(try await h.deliver(won, to: "stripe").status == 200)
            #expect(try await h.deliver(won, to: "stripe").status == 200)
            #expect(try await h.balance() == Money(micros: 1_000_000))
            #expect(try await h.store.order(id: order.id)?.status == .partiallyRefunded)
            let refundAll = PaymentHarness.stripeEvent("charge.refunded", object: Self.charge(order, refunded: 1000))
            #expect(try await h.deliver(refundAll, to: "stripe").status == 200)
            #expect(try await h.balance() == Money(micros: -6_000_000))
            #expect(try await h.store.order(id: order.id)?.status == .refunded)
            #expect(try await h.store.verifyLedger().isEmpty)
            #expect(try await h.store.verifyOrders().isEmpty)
        }
    }

    @Test(
        "An admin's partial Stripe refund and Stripe's own charge.refunded webhook, in either order, take the credit back once",
        arguments: PaymentHarness.backends)
    func adminStripeRefundAndWebhook(backend: String) async throws {
        try await PaymentHarness.with(backend) { h in
            let order = try await Self.paidStripeOrder(h)
            try await h.relay.makeAccount(email: "fin@example.com", username: "fin", role: .finance)
            let finance = WebBrowser(port: h.relay.port)
            try await finance.signIn(email: "fin@example.com")
            // The admin refunds 3.00 through Stripe; Stripe's webhook for it (cumulative 300) then adds nothing.
            let first = try Self.refundToken(try await finance.get("/admin/orders/\(order.id)"))
            let page = try await finance.post(
                "/admin/orders/\(order.id)/refund",
                [("amount", "3.00"), ("reason", "partial"), ("refund_token", first)])
            #expect(page.status == 303)
            #expect(try await h.balance() == Money(micros: 12_000_000))
            let webhook300 = PaymentHarness.stripeEvent("charge.refunded", object: Self.charge(order, refunded: 300))
            #expect(try await h.deliver(webhook300, to: "stripe").status == 200)
            #expect(try await h.balance() == Money(micros: 12_000_000))
            // A refund "made outside" is refused for Stripe orders: Stripe's running total must stay comparable.
            let outside = try await finance.post(
                "/admin/orders/\(order.id)/refund",
                [("amount", "1.00"), ("reason", "bank"), ("outside", "on"), ("refund_token", first)])
            #expect(outside.status == 400)
            // The same form submitted again is refused before any second call to Stripe.
            let resubmitted = try await finance.post(
                "/admin/orders/\(order.id)/refund",
                [("amount", "3.00"), ("reason", "partial"), ("refund_token", first)])
            #expect(resubmitted.status == 400)
            #expect(try await h.balance() == Money(micros: 12_000_000))
            // Someone refunds 2.00 in Stripe's dashboard: its webhook (cumulative 500) takes back 2 credit.
            let webhook500 = PaymentHarness.stripeEvent("charge.refunded", object: Self.charge(order, refunded: 500))
            #expect(try await h.deliver(webhook500, to: "stripe").status == 200)
            #expect(try await h.balance() == Money(micros: 10_000_000))
            // The admin refunds 2.00 more (a new page, a new token); its webhook (cumulative 700) adds nothing.
            let second = try Self.refundToken(try await finance.get("/admin/orders/\(order.id)"))
            let more = try await finance.post(
                "/admin/orders/\(order.id)/refund", [("amount", "2.00"), ("reason", "more"), ("refund_token", second)])
            #expect(more.status == 303)
            #expect(try await h.balance() == Money(micros: 8_000_000))
            let webhook700 = PaymentHarness.stripeEvent("charge.refunded", object: Self.charge(order, refunded: 700))
            #expect(try await h.deliver(webhook700, to: "stripe").status == 200)
            #expect(try await h.balance() == Money(micros: 8_000_000))
            let refunds = h.fake.calls.filter { $0.path == "/stripe/v1/refunds" }
            #expect(refunds.count == 2)
            #expect(Set(refunds.compactMap(\.idempotencyKey)).count == 2)
            #expect(try await h.store.order(id: order.id)?.refundedAmount == 700)
            #expect(try await h.store.verifyLedger().isEmpty)
            #expect(try await h.store.verifyOrders().isEmpty)
        }
    }

    @Test(
        "A finance admin refunds an Epay order in full through the gateway's refund call, with a reason in the audit log; a second refund and a partial one are refused",
        arguments: PaymentHarness.backends)
    func adminRefund(backend: String) async throws {
        try await PaymentHarness.with(backend) { h in
            let order = try #require(try await h.topUp("epay", amount: "10").1)
            #expect(try await h.deliver(PaymentHarness.epayNotify(order.id, money: "10.00"), to: "epay").status == 200)
            #expect(try await h.balance() == Money(micros: 10_000_000))
            try await h.relay.makeAccount(email: "fin@example.com", username: "fin", role: .finance)
            try await h.relay.makeAccount(email: "sup@example.com", username: "sup", role: .support)
            let support = WebBrowser(port: h.relay.port)
            try await support.signIn(email: "sup@example.com")
            try await support.get("/admin/orders/\(order.id)")
            let denied = try await support.post(
                "/admin/orders/\(order.id)/refund", [("amount", "10.00"), ("reason", "customer asked")])
            #expect(denied.status == 403)
            let finance = WebBrowser(port: h.relay.port)
            try await finance.signIn(email: "fin@example.com")
            let token = try Self.refundToken(try await finance.get("/admin/orders/\(order.id)"))
            #expect(!(try await finance.get("/admin/orders/\(order.id)")).body.contains(#"id="order-review""#))
            let partial = try await finance.post(
                "/admin/orders/\(order.id)/refund", [("amount", "4.00"), ("reason", "half"), ("refund_token", token)])
            #expect(partial.status == 400)
            let noReason = try await finance.post(
                "/admin/orders/\(order.id)/refund", [("amount", "10.00"), ("refund_token", token)])
            #expect(noReason.status == 400)
            let done = try await finance.post(
                "/admin/orders/\(order.id)/refund",
                [("amount", "10.00"), ("reason", "customer asked"), ("refund_token", token)])
            #expect(done.status == 303)
            #expect(try await h.balance() == Self.start)
            #expect(try await h.store.order(id: order.id)?.status == .refunded)
            let refundCalls = h.fake.calls.filter { $0.path == "/epay/api.php" && $0.method == "POST" }
            #expect(refundCalls.count == 1)
            #expect(refundCalls.first?.body.contains("out_trade_no=\(order.id)") == true)
            let again = try await finance.post(
                "/admin/orders/\(order.id)/refund", [("amount", "10.00"), ("reason", "twice"), ("refund_token", token)])
            #expect(again.status == 400)
            // The customer's ledger names the order, not the staff's reason.
            let ledger = try await h.store.ledgerLines(userID: h.relay.user.id, limit: 10, offset: 0)
            #expect(ledger.first { $0.kind == "refund" }?.reason == nil)
            #expect(ledger.first { $0.kind == "refund" }?.reference == order.id)
            #expect(try await h.balance() == Self.start)
            let audit = try await h.store.auditEntries(limit: 50).filter { $0.action == "order.refund" }
            #expect(audit.count == 1)
            #expect(audit.first?.detail.contains("customer asked") == true)
            let events = try await h.store.paymentEvents(orderID: order.id)
            #expect(!events.contains { $0.detail.contains(PaymentHarness.epayKey) })
        }
    }

    @Test(
        "Reconciliation asks Epay about an order whose notify never came and settles it once; an unpaid order stays pending until it expires; a paid order the gateway does not know is listed for review",
        arguments: PaymentHarness.backends)
    func reconciliation(backend: String) async throws {
        try await PaymentHarness.with(backend) { h in
            let paid = try #require(try await h.topUp("epay", amount: "10").1)
            let unpaid = try #require(try await h.topUp("epay", amount: "20").1)
            h.fake.markPaid(paid.id, money: "10.00")
            var logger = Logger(label: "test")
            logger.logLevel = .critical
            let reconciler = PaymentReconciler(payments: h.relay.services.payments, logger: logger)
            let now = Int64(Date().timeIntervalSince1970 * 1000)
            await reconciler.runOnce(now: now + 61_000)
            await reconciler.runOnce(now: now + 62_000)
            #expect(try await h.store.order(id: paid.id)?.status == .paid)
            #expect(try await h.balance() == Money(micros: 10_000_000))
            #expect(try await h.store.order(id: unpaid.id)?.status == .pending)
            #expect(try await h.store.order(id: unpaid.id)?.nextPollAt ?? 0 > now + 61_000)
            // Past the order's lifetime (60 minutes) it expires; a proven payment would still settle it, late.
            await reconciler.runOnce(now: now + 61 * 60_000)
            #expect(try await h.store.order(id: unpaid.id)?.status == .expired)
            // Paid late, and its notify lost: the reconciler keeps asking about expired orders for three days.
            let lost = try #require(try await h.topUp("epay", amount: "5").1)
            await reconciler.runOnce(now: now + 62 * 60_000)
            #expect(try await h.store.order(id: lost.id)?.status == .expired)
            h.fake.markPaid(lost.id, money: "5.00")
            await reconciler.runOnce(now: now + 6 * 3_600_000)
            #expect(try await h.store.order(id: lost.id)?.status == .paid)
            #expect(try await h.store.order(id: lost.id)?.late == true)
            #expect(try await h.balance() == Money(micros: 12_500_000))
            let late = try await h.deliver(PaymentHarness.epayNotify(unpaid.id, money: "20.00"), to: "epay")
            #expect(late.status == 200)
            #expect(try await h.store.order(id: unpaid.id)?.late == true)
            #expect(try await h.balance() == Money(micros: 22_500_000))
            // The other way round: a week of paid orders is confirmed with the gateway once. The fake reports the
            // polled order paid, but knows nothing of the one a notify paid: that one is listed for review.
            await reconciler.runOnce(now: now + 2 * 3_600_000)
            #expect(try await h.store.order(id: paid.id)?.review == nil)
            #expect(try await h.store.order(id: unpaid.id)?.review?.contains("does not report it paid") == true)
            #expect(try await h.store.allOrders(reviewOnly: true, limit: 10).map(\.id) == [unpaid.id])
            let queries = h.fake.calls.filter { $0.path == "/epay/api.php" && $0.method == "GET" }
            #expect(!queries.isEmpty)
            let logged = try await h.store.paymentEvents(limit: 200)
            #expect(!logged.contains { $0.detail.contains(PaymentHarness.epayKey) || $0.detail.contains("key=") })
        }
    }

    @Test(
        "Redeeming a code in the console credits it once; after ten failures the account is held off, even for a good code"
    )
    func redeemInConsole() async throws {
        try await PaymentHarness.with("sqlite") { h in
            let (_, codes) = try await h.store.createRedemptionCodes(
                count: 2, credit: try Money(parsing: "2.5"), expiresAt: nil, createdBy: nil)
            try await h.browser.get("/console/billing")
            let ok = try await h.browser.post("/console/billing/redeem", [("code", codes[0].lowercased())])
            #expect(ok.status == 303)
            #expect(try await h.balance() == Money(micros: 7_500_000))
            try await h.browser.get("/console/billing")
            let reused = try await h.browser.post("/console/billing/redeem", [("code", codes[0])])
            #expect(reused.status == 400)
            var rng = SystemRandomNumberGenerator()
            for _ in 0..<9 {
                _ = try await h.browser.post(
                    "/console/billing/redeem", [("code", RedemptionCodeText.make(using: &rng))])
            }
            let held = try await h.browser.post("/console/billing/redeem", [("code", codes[1])])
            #expect(held.status == 400)
            #expect(held.body.contains("Too many failed attempts"))
            #expect(try await h.balance() == Money(micros: 7_500_000))
        }
    }

    @Test(
        "The top-up form refuses an unknown or disabled gateway, a method it does not offer, amounts outside its limits or not amounts, with no order made"
    )
    func topUpRefusals() async throws {
        try await PaymentHarness.with("sqlite") { h in
            try await h.store.setPaymentGatewayEnabled(name: "epay-b", enabled: false)
            let cases: [(String, String, String?, String)] = [
                ("nope", "10", nil, "Choose an available payment gateway."),
                ("epay-b", "10", nil, "Choose an available payment gateway."),
                ("epay", "10", "card", "Choose a payment method this gateway offers."),
                ("epay", "0.50", nil, "below this gateway"),
                ("epay", "1000.01", nil, "above this gateway"),
                ("epay", "10.001", nil, "Enter an amount"),
                ("epay", "1e3", nil, "Enter an amount"),
                ("epay", "-5", nil, "Enter an amount"),
            ]
            for (gateway, amount, method, message) in cases {
                let (page, order) = try await h.topUp(gateway, amount: amount, method: method)
                #expect(page.status == 400, "\(gateway) \(amount)")
                #expect(page.body.contains(message), "\(gateway) \(amount)")
                #expect(order == nil)
            }
            let billing = try await h.browser.get("/console/billing")
            #expect(billing.body.contains(#"<option value="epay" "#))
            #expect(!billing.body.contains(#"<option value="epay-b""#))
            #expect(billing.body.contains("1 CNY buys 0.50 credit; at least 1.00 CNY; at most 1000.00 CNY"))
            // Every order is listed on its own page (the billing page shows the newest 20).
            // (Two more: with the eight refused above, that is the ten top-ups a minute an account may try.)
            for _ in 0..<2 { _ = try await h.topUp("epay", amount: "2") }
            let all = try await h.browser.get("/console/billing/orders")
            #expect(all.status == 200)
            #expect(all.body.components(separatedBy: #"data-status="pending""#).count - 1 == 2)
        }
    }

    @Test("The privacy page states the payment records' retention from the setting, and names the gateways in use")
    func privacyPage() async throws {
        let tune: @Sendable (inout WharfConfig) -> Void = { $0.retentionPaymentDays = 730 }
        try await RelayHarness.with(tune: tune) { h in
            let browser = WebBrowser(port: h.port)
            let before = try await browser.get("/privacy")
            #expect(before.body.contains("730 days (pseudonymised after erasure)"))
            #expect(!before.body.contains("Payment gateways, when you top up"))
            let (record, secrets) = try PaymentGatewaySetup.make(
                name: "p", kind: "stripe", gatewayURL: "https://api.stripe.com", merchantID: nil, key: "sk_test_x",
                webhookSecret: "whsec_x", currency: "USD", creditPerUnit: "1", methods: nil, minAmount: nil,
                maxAmount: nil)
            try await h.store.addPaymentGateway(record, secrets: secrets)
            let after = try await browser.get("/privacy")
            #expect(after.body.contains("Payment gateways, when you top up through them: stripe"))
        }
    }

    @Test("An admin adding a gateway gets its problems in the page's language, and a name in use is refused")
    func gatewayFormInChinese() async throws {
        try await PaymentHarness.with("sqlite") { h in
            try await h.relay.makeAccount(email: "root@example.com", username: "root", role: .admin)
            let admin = WebBrowser(port: h.relay.port)
            admin.acceptLanguage = "zh-CN"
            try await admin.signIn(email: "root@example.com")
            try await admin.get("/admin/payments")
            var fields = [
                ("name", "card-2"), ("kind", "stripe"), ("gateway_url", "https://api.stripe.com"), ("key", "sk_test_x"),
                ("currency", "USD"), ("credit_per_unit", "1"),
            ]
            let noWebhook = try await admin.post("/admin/payments", fields)
            #expect(noWebhook.status == 400)
            let webhookText = "Stripe 需要填写 Webhook 签名密钥"
            #expect(noWebhook.body.contains(webhookText))
            fields[0] = ("name", "stripe")
            fields.append(("webhook_secret", "whsec_x"))
            let taken = try await admin.post("/admin/payments", fields)
            #expect(taken.status == 400)
            let takenText = "已存在同名支付通道"
            #expect(taken.body.contains(takenText))
            fields[0] = ("name", "card-2")
            let added = try await admin.post("/admin/payments", fields)
            #expect(added.status == 303)
            #expect(try await h.store.paymentGateway(named: "card-2")?.kind == "stripe")
        }
    }
}
