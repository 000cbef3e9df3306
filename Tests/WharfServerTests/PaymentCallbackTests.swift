import Foundation
import NIOHTTP1
import Testing
import WharfCore
import WharfPayments
import WharfServer
import WharfStorage

/// Money coming in through each gateway, end to end through the running server: a confirmed payment credits
/// exactly amount × rate once, however often and concurrently it arrives; everything else credits nothing.
/// Serialized: each scenario runs a whole server (and on CI a PostgreSQL database of its own); run side by side they
/// starved the older PostgreSQL scenarios of connections.
@Suite("Payments: callbacks from each gateway", .serialized)
struct PaymentCallbackTests {
    /// Alice starts with 5.000000 (the harness's grant).
    static let start = Money(micros: 5_000_000)

    enum Way: String, CaseIterable, Sendable {
        case epayGet, epayPost, hupi, usdt, stripe
        var gateway: String {
            switch self {
            case .epayGet, .epayPost: "epay"
            case .hupi: "hupi"
            case .usdt: "usdt"
            case .stripe: "stripe"
            }
        }
        /// 10 CNY at 0.5 credit per yuan, or 10 USD at 1 credit per dollar.
        var credit: Money { self == .stripe ? Money(micros: 10_000_000) : Money(micros: 5_000_000) }
        var success: String {
            switch self {
            case .usdt: "ok"
            case .stripe: #"{"received":true}"#
            default: "success"
            }
        }
        func paid(_ order: PaymentOrder) -> PaymentHarness.Callback {
            switch self {
            case .epayGet: PaymentHarness.epayNotify(order.id, money: "10.00")
            case .epayPost: PaymentHarness.epayNotify(order.id, money: "10.00", post: true)
            case .hupi: PaymentHarness.hupiNotify(order.id, fee: "10")
            case .usdt: PaymentHarness.epusdtCallback(order.id, amount: "10")
            case .stripe:
                PaymentHarness.stripeEvent("checkout.session.completed", object: PaymentHarness.stripeSession(order))
            }
        }
    }

    static var cases: [(String, Way)] { PaymentHarness.backends.flatMap { b in Way.allCases.map { (b, $0) } } }

    @Test(
        "A confirmed payment credits exactly amount × rate once; the return page alone, replays and 20 concurrent deliveries add nothing",
        arguments: cases)
    func creditsOnce(backend: String, way: Way) async throws {
        try await PaymentHarness.with(backend) { h in
            let (answer, made) = try await h.topUp(way.gateway, amount: "10.00")
            let order = try #require(made)
            #expect(order.status == .pending)
            switch way {
            case .epayGet, .epayPost:
                #expect(answer.status == 200)
                #expect(answer.body.contains(#"action="http://127.0.0.1:\#(h.fakePort)/epay/submit.php""#))
                #expect(answer.body.contains(#"name="out_trade_no" value="\#(order.id)""#))
                #expect(
                    answer.contentSecurityPolicy?.contains("form-action 'self' https: http://127.0.0.1:\(h.fakePort)")
                        == true)
            default:
                #expect(answer.status == 303)
                #expect(answer.location?.hasPrefix("http://127.0.0.1:\(h.fakePort)/") == true)
            }
            // The browser comes back before the gateway confirmed: nothing is credited.
            let receipt = try await h.browser.get("/console/billing/orders/\(order.id)")
            #expect(receipt.status == 200)
            #expect(receipt.body.contains(#"data-status="pending""#))
            #expect(try await h.balance() == Self.start)

            let first = try await h.deliver(way.paid(order), to: way.gateway)
            #expect(first.status == 200)
            #expect(first.body == way.success)
            #expect(try await h.balance() == Money(micros: Self.start.micros + way.credit.micros))
            let again = try await h.deliver(way.paid(order), to: way.gateway)
            #expect(again.status == 200 && again.body == way.success)
            let replies = try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<20 { group.addTask { try await h.deliver(way.paid(order), to: way.gateway).status } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(replies.allSatisfy { $0 == 200 })
            #expect(try await h.balance() == Money(micros: Self.start.micros + way.credit.micros))
            let topups = try await h.store.ledgerLines(userID: h.relay.user.id, limit: 50, offset: 0)
                .filter { $0.kind == "topup" }
            #expect(topups.count == 1)
            #expect(topups.first?.amount == way.credit)
            #expect(try await h.store.order(id: order.id)?.status == .paid)
            let paidReceipt = try await h.browser.get("/console/billing/orders/\(order.id)")
            #expect(paidReceipt.body.contains(#"data-status="paid""#))
            #expect(try await h.store.verifyLedger().isEmpty)
        }
    }

    @Test(
        "Epay: a bad signature, a re-signed tampered amount, another pid, a closed trade, an unknown order, repeated or doubled parameters and another instance's order credit nothing",
        arguments: PaymentHarness.backends)
    func epayRefusals(backend: String) async throws {
        try await PaymentHarness.with(backend) { h in
            let order = try #require(try await h.topUp("epay", amount: "10.00").1)
            let refused: [(PaymentHarness.Callback, String, Int)] = [
                (PaymentHarness.epayNotify(order.id, money: "10.00", key: "wrong"), "epay", 400),
                (PaymentHarness.epayNotify(order.id, money: "10.00", pid: "1002"), "epay", 400),
                (PaymentHarness.epayNotify("W" + String(repeating: "0", count: 24), money: "10.00"), "epay", 400),
                // Signed by the other instance's key, sent to the other instance: its order is not there.
                (PaymentHarness.epayNotify(order.id, money: "10.00", key: PaymentHarness.otherEpayKey), "epay-b", 400),
                // An empty key signs nothing Wharf accepts.
                (PaymentHarness.epayNotify(order.id, money: "10.00", key: ""), "epay", 400),
            ]
            for (callback, gateway, status) in refused {
                #expect(try await h.deliver(callback, to: gateway).status == status)
            }
            var doubled = PaymentHarness.epayNotify(order.id, money: "10.00")
            doubled.query += "&money=100.00"
            #expect(try await h.deliver(doubled, to: "epay").status == 400)
            var both = PaymentHarness.epayNotify(order.id, money: "10.00")
            both.body = "pid=1001"
            both.method = .POST
            #expect(try await h.deliver(both, to: "epay").status == 400)
            // Correctly signed, but for 0.01: acknowledged (it is the gateway speaking), never credited, flagged.
            let cheap = try await h.deliver(PaymentHarness.epayNotify(order.id, money: "0.01"), to: "epay")
            #expect(cheap.status == 200)
            #expect(try await h.store.order(id: order.id)?.review?.contains("differs") == true)
            #expect(try await h.balance() == Self.start)
            // A closed trade closes the order, with no credit.
            let closing = try #require(try await h.topUp("epay", amount: "5").1)
            let closed = try await h.deliver(
                PaymentHarness.epayNotify(closing.id, money: "5.00", status: "TRADE_CLOSED"), to: "epay")
            #expect(closed.status == 200 && closed.body == "success")
            #expect(try await h.store.order(id: closing.id)?.status == .expired)
            #expect(try await h.balance() == Self.start)
            #expect(try await h.store.order(id: order.id)?.status == .pending)
            // Every refusal is logged, without the key.
            let events = try await h.store.paymentEvents(limit: 100)
            #expect(events.filter { $0.outcome == "refused" }.count >= 6)
            #expect(!events.contains { $0.detail.contains(PaymentHarness.epayKey) })
        }
    }

    @Test(
        "HupiJiao and epusdt: a bad hash, a tampered amount, another appid, an unpaid status and a reused transaction credit nothing",
        arguments: PaymentHarness.backends)
    func hupiAndUSDTRefusals(backend: String) async throws {
        try await PaymentHarness.with(backend) { h in
            let hupi = try #require(try await h.topUp("hupi", amount: "10").1)
            #expect(
                try await h.deliver(PaymentHarness.hupiNotify(hupi.id, fee: "10", secret: "x"), to: "hupi").status
                    == 400)
            #expect(
                try await h.deliver(PaymentHarness.hupiNotify(hupi.id, fee: "10", appid: "1"), to: "hupi").status == 400
            )
            #expect(try await h.deliver(PaymentHarness.hupiNotify(hupi.id, fee: "10.001"), to: "hupi").status == 200)
            #expect(
                try await h.deliver(PaymentHarness.hupiNotify(hupi.id, fee: "10", status: "WP"), to: "hupi").status
                    == 200)
            #expect(try await h.store.order(id: hupi.id)?.status == .pending)

            let first = try #require(try await h.topUp("usdt", amount: "10").1)
            let second = try #require(try await h.topUp("usdt", amount: "10").1)
            let tx = "0x" + String(repeating: "cd", count: 32)
            #expect(
                try await h.deliver(PaymentHarness.epusdtCallback(first.id, amount: "10", token: "x"), to: "usdt")
                    .status == 400)
            #expect(
                try await h.deliver(PaymentHarness.epusdtCallback(first.id, amount: "9.99"), to: "usdt").status == 200)
            #expect(
                try await h.deliver(PaymentHarness.epusdtCallback(first.id, amount: "10", status: 1), to: "usdt").status
                    == 200)
            #expect(try await h.balance() == Self.start)
            // A callback meant for the Epay instance is not an epusdt message.
            #expect(try await h.deliver(PaymentHarness.epayNotify(first.id, money: "10.00"), to: "usdt").status == 400)
            #expect(
                try await h.deliver(PaymentHarness.epusdtCallback(first.id, amount: "10", tx: tx), to: "usdt").status
                    == 200)
            #expect(try await h.balance() == Money(micros: 10_000_000))
            // The same on-chain transaction cannot pay a second order.
            #expect(
                try await h.deliver(PaymentHarness.epusdtCallback(second.id, amount: "10", tx: tx), to: "usdt").status
                    == 200)
            #expect(try await h.store.order(id: second.id)?.status == .pending)
            #expect(try await h.store.order(id: second.id)?.review != nil)
            #expect(try await h.balance() == Money(micros: 10_000_000))
        }
    }

    @Test(
        "Stripe: a stale or future timestamp, another secret, a session for another order, a subscription session and an Epay order credit nothing",
        arguments: PaymentHarness.backends)
    func stripeRefusals(backend: String) async throws {
        try await PaymentHarness.with(backend) { h in
            let order = try #require(try await h.topUp("stripe", amount: "10").1)
            let epayOrder = try #require(try await h.topUp("epay", amount: "10").1)
            let now = Int64(Date().timeIntervalSince1970)
            let session = PaymentHarness.stripeSession(order)
            // Well outside the window either way, so a slow run cannot bring the future one inside it (the exact
            // 300-second boundary is tested in WharfPaymentsTests with an injected clock).
            for callback in [
                PaymentHarness.stripeEvent("checkout.session.completed", object: session, timestamp: now - 400),
                PaymentHarness.stripeEvent("checkout.session.completed", object: session, timestamp: now + 400),
                PaymentHarness.stripeEvent("checkout.session.completed", object: session, secret: "whsec_other"),
                PaymentHarness.stripeEvent("checkout.session.completed", object: session, secret: ""),
            ] {
                #expect(try await h.deliver(callback, to: "stripe").status == 400)
            }
            // Verified events about payments that are not this instance's are acknowledged (else Stripe retries for
            // days and may disable the endpoint) but credit nothing: the cross-gateway forgery of new-api #4353 (a
            // Stripe-signed event naming an Epay order), and a session that is not the order's.
            var other = order
            other.providerRef = "cs_test_someone_else"
            for object in [PaymentHarness.stripeSession(epayOrder), PaymentHarness.stripeSession(other)] {
                let event = PaymentHarness.stripeEvent("checkout.session.completed", object: object)
                #expect(try await h.deliver(event, to: "stripe").status == 200)
            }
            let subscription = PaymentHarness.stripeSession(order).replacingOccurrences(
                of: #""mode":"payment""#, with: #""mode":"subscription""#)
            let notPayment = PaymentHarness.stripeEvent("checkout.session.completed", object: subscription)
            #expect(try await h.deliver(notPayment, to: "stripe").status == 200)
            let cheap = PaymentHarness.stripeEvent(
                "checkout.session.completed", object: PaymentHarness.stripeSession(order, amount: 1))
            #expect(try await h.deliver(cheap, to: "stripe").status == 200)
            let unpaid = PaymentHarness.stripeEvent(
                "checkout.session.completed", object: PaymentHarness.stripeSession(order, paymentStatus: "unpaid"))
            #expect(try await h.deliver(unpaid, to: "stripe").status == 200)
            #expect(try await h.balance() == Self.start)
            #expect(try await h.store.order(id: order.id)?.status == .pending)
            #expect(try await h.store.order(id: epayOrder.id)?.status == .pending)
        }
    }

    @Test(
        "A flood of forged callbacks is answered but logs at most 60 refusals a minute, and a real callback from the same address still credits"
    )
    func forgedFlood() async throws {
        try await PaymentHarness.with("sqlite") { h in
            let order = try #require(try await h.topUp("epay", amount: "10").1)
            let forged = PaymentHarness.epayNotify(order.id, money: "10.00", key: "forged")
            let started = ContinuousClock.now
            let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<80 { group.addTask { try await h.deliver(forged, to: "epay").status } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(statuses.allSatisfy { $0 == 400 })
            let refused = try await h.store.paymentEvents(limit: 500).filter { $0.outcome == "refused" }
            // 60 at once, plus one for each second the flood took (the limit refills at one a second).
            let seconds = Int((ContinuousClock.now - started).components.seconds) + 1
            #expect(refused.count >= 60 && refused.count <= 60 + seconds, "\(refused.count) in \(seconds) s")
            let real = try await h.deliver(PaymentHarness.epayNotify(order.id, money: "10.00"), to: "epay")
            #expect(real.status == 200 && real.body == "success")
            #expect(try await h.balance() == Money(micros: 10_000_000))
        }
    }
}
