import Foundation
import Testing
import WharfCore
import WharfStorage

/// The settle step and its reversals, on every database: an order is credited exactly once however many
/// confirmations race, and refunds and disputes move exactly the credit the policy says.
@Suite("Payments: orders, settle, refunds and disputes")
struct PaymentOrdersTests {
    static func gateway(_ store: WharfStore, name: String = "epay-main", rate: String = "0.5") async throws
        -> PaymentGatewayRecord
    {
        let record = PaymentGatewayRecord(
            id: WharfID.make("pgw"), name: name, kind: "epay", gatewayURL: "https://pay.example.com",
            merchantID: "1001", currency: "CNY", creditPerUnit: try Money(parsing: rate), methods: ["alipay"],
            minAmount: nil, maxAmount: nil)
        try await store.addPaymentGateway(record, secrets: PaymentGatewaySecrets(key: "k-\(name)", webhookSecret: nil))
        return record
    }

    /// A pending order of `amount` minor units buying `credit`.
    static func order(
        _ store: WharfStore, _ user: UserRecord, _ gateway: PaymentGatewayRecord, amount: Int64 = 1000,
        credit: Money = Money(micros: 5_000_000)
    ) async throws -> PaymentOrder {
        var rng = SystemRandomNumberGenerator()
        return try await store.createOrder(
            id: OrderNumber.make(using: &rng), userID: user.id, gateway: gateway, method: "alipay", amount: amount,
            credit: credit, expiresAt: Int64.max / 2, firstPollAt: 0)
    }

    static func topups(_ store: WharfStore, _ user: UserRecord) async throws -> [LedgerLine] {
        try await store.ledgerLines(userID: user.id, limit: 100, offset: 0).filter { $0.kind == "topup" }
    }

    @Test(
        "Twenty concurrent confirmations of one order credit it once, with one topup entry",
        arguments: Backend.available)
    func concurrentSettleCreditsOnce(backend: Backend) async throws {
        try await TestDatabase.with(backend) { t in
            let user = try await t.store.makeUser("pay@example.com", balance: Money(micros: 1_000_000))
            let gateway = try await Self.gateway(t.store)
            let order = try await Self.order(t.store, user, gateway)
            let outcomes = try await withThrowingTaskGroup(of: SettleOutcome.self) { group in
                for _ in 0..<20 {
                    group.addTask {
                        try await t.store.settleOrder(
                            id: order.id, gatewayID: gateway.id, evidence: SettleEvidence(tradeNo: "T1"))
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            let credited = outcomes.filter { if case .credited = $0 { true } else { false } }
            #expect(credited.count == 1)
            #expect(outcomes.count == 20)
            #expect(try await t.store.balance(userID: user.id) == Money(micros: 6_000_000))
            let entries = try await Self.topups(t.store, user)
            #expect(entries.count == 1)
            #expect(entries.first?.amount == Money(micros: 5_000_000))
            #expect(try await t.store.order(id: order.id)?.status == .paid)
            #expect(try await t.store.verifyLedger().isEmpty)
            #expect(try await t.store.verifyOrders().isEmpty)
        }
    }

    @Test("A confirmation under another gateway instance does not pay the order", arguments: Backend.available)
    func otherGatewayCannotSettle(backend: Backend) async throws {
        try await TestDatabase.with(backend) { t in
            let user = try await t.store.makeUser("cross@example.com")
            let mine = try await Self.gateway(t.store, name: "a")
            let other = try await Self.gateway(t.store, name: "b")
            let order = try await Self.order(t.store, user, mine)
            #expect(
                try await t.store.settleOrder(id: order.id, gatewayID: other.id, evidence: SettleEvidence())
                    == .unknownOrder)
            #expect(try await t.store.balance(userID: user.id) == .zero)
            #expect(try await t.store.order(id: order.id)?.status == .pending)
        }
    }

    @Test(
        "One trade number or on-chain transaction pays one order: a second order naming it is refused",
        arguments: Backend.available)
    func oneTransactionOneOrder(backend: Backend) async throws {
        try await TestDatabase.with(backend) { t in
            let user = try await t.store.makeUser("tx@example.com")
            let gateway = try await Self.gateway(t.store)
            let first = try await Self.order(t.store, user, gateway)
            let second = try await Self.order(t.store, user, gateway)
            let evidence = SettleEvidence(tradeNo: "T-9", transactionRef: "0xabc")
            _ = try await t.store.settleOrder(id: first.id, gatewayID: gateway.id, evidence: evidence)
            await #expect(throws: StoreError.self) {
                _ = try await t.store.settleOrder(
                    id: second.id, gatewayID: gateway.id, evidence: SettleEvidence(transactionRef: "0xabc"))
            }
            #expect(try await t.store.order(id: second.id)?.status == .pending)
            #expect(try await t.store.balance(userID: user.id) == Money(micros: 5_000_000))
        }
    }

    @Test(
        "An expired order still settles when its payment is proven, flagged late; a failed one never does",
        arguments: Backend.available)
    func expiredSettlesLate(backend: Backend) async throws {
        try await TestDatabase.with(backend) { t in
            let user = try await t.store.makeUser("late@example.com")
            let gateway = try await Self.gateway(t.store)
            var rng = SystemRandomNumberGenerator()
            let order = try await t.store.createOrder(
                id: OrderNumber.make(using: &rng), userID: user.id, gateway: gateway, method: "alipay", amount: 1000,
                credit: Money(micros: 5_000_000), expiresAt: 10, firstPollAt: 0)
            #expect(try await t.store.expireOrders(now: 11) == 1)
            guard
                case .credited(let paid) = try await t.store.settleOrder(
                    id: order.id, gatewayID: gateway.id, evidence: SettleEvidence())
            else {
                Issue.record("an expired order did not settle")
                return
            }
            #expect(paid.late)
            let failed = try await Self.order(t.store, user, gateway)
            #expect(try await t.store.closeOrder(id: failed.id, gatewayID: gateway.id, as: .failed))
            guard
                case .notPayable = try await t.store.settleOrder(
                    id: failed.id, gatewayID: gateway.id, evidence: SettleEvidence())
            else {
                Issue.record("a failed order settled")
                return
            }
            #expect(try await t.store.balance(userID: user.id) == Money(micros: 5_000_000))
        }
    }

    @Test(
        "Partial refunds take back the matching credit, a full refund exactly the rest, and never more than was paid",
        arguments: Backend.available)
    func refunds(backend: Backend) async throws {
        try await TestDatabase.with(backend) { t in
            let user = try await t.store.makeUser("refund@example.com")
            let gateway = try await Self.gateway(t.store)
            // 10.00 bought 3.333333 credit: a third of it is not a whole number of micro-units.
            let order = try await Self.order(t.store, user, gateway, amount: 1000, credit: Money(micros: 3_333_333))
            _ = try await t.store.settleOrder(id: order.id, gatewayID: gateway.id, evidence: SettleEvidence())
            let first = try await t.store.refundOrderTo(id: order.id, cumulativeAmount: 300, externalRef: "r1")
            guard case .applied(let afterFirst, let change) = first else {
                Issue.record("first refund not applied: \(first)")
                return
            }
            #expect(change == Money(micros: -999_999))  // floor(3_333_333 × 300 / 1000)
            #expect(afterFirst.status == .partiallyRefunded)
            // A replay of the same cumulative amount adds nothing.
            guard
                case .refused = try await t.store.refundOrderTo(
                    id: order.id, cumulativeAmount: 300, externalRef: "r1b")
            else {
                Issue.record("a replayed cumulative refund was applied")
                return
            }
            guard
                case .applied(let done, let rest) = try await t.store.refundOrderTo(
                    id: order.id, cumulativeAmount: 1000, externalRef: "r2")
            else {
                Issue.record("second refund not applied")
                return
            }
            #expect(rest == Money(micros: -2_333_334))
            #expect(done.status == .refunded)
            #expect(done.refundedCredit == Money(micros: 3_333_333))
            guard
                case .refused = try await t.store.refundOrderTo(id: order.id, cumulativeAmount: 1001, externalRef: "r3")
            else {
                Issue.record("a refund beyond what was paid was applied")
                return
            }
            #expect(try await t.store.balance(userID: user.id) == .zero)
            #expect(try await t.store.verifyLedger().isEmpty)
            #expect(try await t.store.verifyOrders().isEmpty)
        }
    }

    @Test(
        "A refund of spent credit takes the balance below zero; the same refund reference twice changes nothing",
        arguments: Backend.available)
    func refundOfSpentCreditGoesNegative(backend: Backend) async throws {
        try await TestDatabase.with(backend) { t in
            let user = try await t.store.makeUser("spent@example.com")
            let gateway = try await Self.gateway(t.store)
            let order = try await Self.order(t.store, user, gateway)
            _ = try await t.store.settleOrder(id: order.id, gatewayID: gateway.id, evidence: SettleEvidence())
            _ = try await t.store.post(
                userID: user.id, kind: .adjustment, amount: Money(micros: -4_000_000), reason: "spent")
            let results = try await withThrowingTaskGroup(of: ReversalOutcome.self) { group in
                for _ in 0..<10 {
                    group.addTask {
                        try await t.store.refundOrderTo(id: order.id, cumulativeAmount: 1000, externalRef: "re_1")
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(results.filter { if case .applied = $0 { true } else { false } }.count == 1)
            #expect(try await t.store.balance(userID: user.id) == Money(micros: -4_000_000))
            #expect(try await t.store.verifyLedger().isEmpty)
            #expect(try await t.store.verifyOrders().isEmpty)
        }
    }

    @Test("A dispute holds back the credit; winning it restores the credit once", arguments: Backend.available)
    func disputes(backend: Backend) async throws {
        try await TestDatabase.with(backend) { t in
            let user = try await t.store.makeUser("dispute@example.com")
            let gateway = try await Self.gateway(t.store)
            let order = try await Self.order(t.store, user, gateway)
            _ = try await t.store.settleOrder(id: order.id, gatewayID: gateway.id, evidence: SettleEvidence())
            _ = try await t.store.disputeOrder(id: order.id, disputeID: "dp_1", amount: 1000)
            _ = try await t.store.disputeOrder(id: order.id, disputeID: "dp_1", amount: 1000)
            #expect(try await t.store.balance(userID: user.id) == .zero)
            #expect(try await t.store.order(id: order.id)?.status == .disputed)
            _ = try await t.store.closeDispute(id: order.id, disputeID: "dp_1", lost: false)
            _ = try await t.store.closeDispute(id: order.id, disputeID: "dp_1", lost: false)
            #expect(try await t.store.balance(userID: user.id) == Money(micros: 5_000_000))
            #expect(try await t.store.order(id: order.id)?.status == .paid)
            #expect(try await t.store.verifyLedger().isEmpty)
            #expect(try await t.store.verifyOrders().isEmpty)
        }
    }

    @Test(
        "Two cumulative refund events racing (300 and 600 of 1000) leave exactly 600 refunded and 60% of the credit taken",
        arguments: Backend.available)
    func racingCumulativeRefunds(backend: Backend) async throws {
        try await TestDatabase.with(backend) { t in
            let user = try await t.store.makeUser("race@example.com")
            let gateway = try await Self.gateway(t.store)
            let order = try await Self.order(t.store, user, gateway, amount: 1000, credit: Money(micros: 10_000_000))
            _ = try await t.store.settleOrder(id: order.id, gatewayID: gateway.id, evidence: SettleEvidence())
            for _ in 0..<5 {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for cumulative: Int64 in [300, 600, 300, 600] {
                        group.addTask {
                            _ = try await t.store.refundOrderTo(
                                id: order.id, cumulativeAmount: cumulative, externalRef: "charge:ch:\(cumulative)")
                        }
                    }
                    try await group.waitForAll()
                }
            }
            let after = try #require(try await t.store.order(id: order.id))
            #expect(after.refundedAmount == 600)
            #expect(after.refundedCredit == Money(micros: 6_000_000))
            #expect(try await t.store.balance(userID: user.id) == Money(micros: 4_000_000))
            #expect(try await t.store.verifyLedger().isEmpty)
            #expect(try await t.store.verifyOrders().isEmpty)
        }
    }

    @Test(
        "A partial dispute holds back its share; an inquiry closed without a chargeback restores it; a refund during a dispute takes free credit first; a lost one keeps its hold",
        arguments: Backend.available)
    func partialAndClosedDisputes(backend: Backend) async throws {
        try await TestDatabase.with(backend) { t in
            let user = try await t.store.makeUser("inquiry@example.com")
            let gateway = try await Self.gateway(t.store)
            let order = try await Self.order(t.store, user, gateway, amount: 1000, credit: Money(micros: 10_000_000))
            _ = try await t.store.settleOrder(id: order.id, gatewayID: gateway.id, evidence: SettleEvidence())
            _ = try await t.store.disputeOrder(id: order.id, disputeID: "dp_a", amount: 250)
            #expect(try await t.store.balance(userID: user.id) == Money(micros: 7_500_000))
            _ = try await t.store.closeDispute(id: order.id, disputeID: "dp_a", lost: false)
            #expect(try await t.store.balance(userID: user.id) == Money(micros: 10_000_000))
            #expect(try await t.store.order(id: order.id)?.status == .paid)
            // A 4.00 dispute, then a 6.00 refund while it is open, then the dispute is lost: the payer got 10.00
            // back in all, so all 10 credit is gone (the refund takes the free credit, not the dispute's hold).
            _ = try await t.store.disputeOrder(id: order.id, disputeID: "dp_b", amount: 400)
            #expect(try await t.store.balance(userID: user.id) == Money(micros: 6_000_000))
            _ = try await t.store.refundOrderTo(id: order.id, cumulativeAmount: 600, externalRef: "re_6")
            #expect(try await t.store.balance(userID: user.id) == .zero)
            _ = try await t.store.closeDispute(id: order.id, disputeID: "dp_b", lost: true)
            #expect(try await t.store.balance(userID: user.id) == .zero)
            #expect(try await t.store.order(id: order.id)?.status == .disputed)
            #expect(try await t.store.verifyLedger().isEmpty)
            #expect(try await t.store.verifyOrders().isEmpty)
        }
    }

    @Test(
        "Two disputes on one order each keep their own hold: closing one restores only its share",
        arguments: Backend.available)
    func twoDisputes(backend: Backend) async throws {
        try await TestDatabase.with(backend) { t in
            let user = try await t.store.makeUser("two@example.com")
            let gateway = try await Self.gateway(t.store)
            let order = try await Self.order(t.store, user, gateway, amount: 1000, credit: Money(micros: 10_000_000))
            _ = try await t.store.settleOrder(id: order.id, gatewayID: gateway.id, evidence: SettleEvidence())
            _ = try await t.store.disputeOrder(id: order.id, disputeID: "dp_1", amount: 300)
            _ = try await t.store.disputeOrder(id: order.id, disputeID: "dp_2", amount: 200)
            #expect(try await t.store.balance(userID: user.id) == Money(micros: 5_000_000))
            _ = try await t.store.closeDispute(id: order.id, disputeID: "dp_1", lost: false)
            #expect(try await t.store.balance(userID: user.id) == Money(micros: 8_000_000))
            #expect(try await t.store.order(id: order.id)?.status == .disputed)
            _ = try await t.store.closeDispute(id: order.id, disputeID: "dp_2", lost: true)
            #expect(try await t.store.balance(userID: user.id) == Money(micros: 8_000_000))
            #expect(try await t.store.verifyLedger().isEmpty)
            #expect(try await t.store.verifyOrders().isEmpty)
        }
    }

    @Test(
        "Disputes and refunds in any mix take back exactly the refunded credit plus what open and lost disputes claim",
        arguments: Backend.available)
    func disputeAndRefundMixes(backend: Backend) async throws {
        try await TestDatabase.with(backend) { t in
            let gateway = try await Self.gateway(t.store)
            // Two disputes (30 and 20), a 60 refund, the first won, the second lost: 60 + 20 taken back.
            let a = try await t.store.makeUser("mix-a@example.com")
            let first = try await Self.order(t.store, a, gateway, amount: 100, credit: Money(micros: 100_000_000))
            _ = try await t.store.settleOrder(id: first.id, gatewayID: gateway.id, evidence: SettleEvidence())
            _ = try await t.store.disputeOrder(id: first.id, disputeID: "dp1", amount: 30)
            _ = try await t.store.disputeOrder(id: first.id, disputeID: "dp2", amount: 20)
            _ = try await t.store.refundOrderTo(id: first.id, cumulativeAmount: 60, externalRef: "re60")
            #expect(try await t.store.balance(userID: a.id) == .zero)
            _ = try await t.store.closeDispute(id: first.id, disputeID: "dp1", lost: false)
            #expect(try await t.store.balance(userID: a.id) == Money(micros: 20_000_000))
            _ = try await t.store.closeDispute(id: first.id, disputeID: "dp2", lost: true)
            #expect(try await t.store.balance(userID: a.id) == Money(micros: 20_000_000))
            // An inquiry holding everything, escalated to a chargeback that arrives while it is open; the inquiry
            // closes won, the chargeback is lost: everything stays taken back.
            let b = try await t.store.makeUser("mix-b@example.com")
            let second = try await Self.order(t.store, b, gateway, amount: 100, credit: Money(micros: 100_000_000))
            _ = try await t.store.settleOrder(id: second.id, gatewayID: gateway.id, evidence: SettleEvidence())
            _ = try await t.store.disputeOrder(id: second.id, disputeID: "inquiry", amount: 100)
            _ = try await t.store.disputeOrder(id: second.id, disputeID: "chargeback", amount: 100)
            #expect(try await t.store.balance(userID: b.id) == .zero)
            _ = try await t.store.closeDispute(id: second.id, disputeID: "inquiry", lost: false)
            #expect(try await t.store.balance(userID: b.id) == .zero)
            #expect(try await t.store.order(id: second.id)?.status == .disputed)
            guard
                case .applied = try await t.store.closeDispute(id: second.id, disputeID: "chargeback", lost: true)
            else {
                Issue.record("the lost chargeback was not recorded")
                return
            }
            #expect(try await t.store.balance(userID: b.id) == .zero)
            #expect(try await t.store.verifyLedger().isEmpty)
            #expect(try await t.store.verifyOrders().isEmpty)
        }
    }

    @Test("Gateway secrets are stored sealed and an empty key is refused", arguments: Backend.available)
    func secretsSealed(backend: Backend) async throws {
        try await TestDatabase.with(backend) { t in
            let record = PaymentGatewayRecord(
                id: WharfID.make("pgw"), name: "s", kind: "stripe", gatewayURL: "https://api.stripe.com",
                merchantID: nil, currency: "USD", creditPerUnit: Money(micros: 1_000_000), methods: ["card"],
                minAmount: nil, maxAmount: nil)
            await #expect(throws: StoreError.self) {
                try await t.store.addPaymentGateway(
                    record, secrets: PaymentGatewaySecrets(key: " ", webhookSecret: nil))
            }
            await #expect(throws: StoreError.self) {
                try await t.store.addPaymentGateway(
                    record, secrets: PaymentGatewaySecrets(key: "sk", webhookSecret: ""))
            }
            try await t.store.addPaymentGateway(
                record, secrets: PaymentGatewaySecrets(key: "sk_test_SECRET1", webhookSecret: "whsec_SECRET2"))
            let raw = try await t.database.withConnection { db in
                try await db.raw("SELECT key_ciphertext, webhook_secret_ciphertext FROM payment_gateways").all()
            }
            for row in raw {
                let text =
                    try row.decode(column: "key_ciphertext", as: String.self)
                    + (try row.decode(column: "webhook_secret_ciphertext", as: String.self))
                #expect(!text.contains("SECRET"))
            }
            let opened = try await t.store.paymentGatewaySecrets(id: record.id)
            #expect(opened.key == "sk_test_SECRET1")
            #expect(opened.webhookSecret == "whsec_SECRET2")
        }
    }
}
