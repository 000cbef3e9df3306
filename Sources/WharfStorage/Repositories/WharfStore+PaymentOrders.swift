import SQLKit
import WharfCore

/// A top-up order.
public struct PaymentOrder: Sendable, Equatable {
    /// The order number (``OrderNumber``).
    public var id: String
    public var userID: String
    public var gatewayID: String
    public var method: String
    public var currency: String
    /// Amount charged, in minor units of ``currency``.
    public var amount: Int64
    /// Credit the amount buys, fixed when the order was made.
    public var credit: Money
    public var status: PaymentOrderStatus
    /// The gateway's id for the payment attempt (a Checkout Session, an epusdt trade), set when it was created.
    public var providerRef: String?
    /// The gateway's trade number, set when paid.
    public var tradeNo: String?
    /// The payment network's transaction id (an on-chain hash), set when paid.
    public var transactionRef: String?
    /// Stripe's payment intent, to match refunds and disputes.
    public var paymentIntent: String?
    /// Paid after it had expired.
    public var late: Bool
    /// Why the gateway and Wharf disagree about this order; nil when they agree.
    public var review: String?
    public var refundedAmount: Int64
    public var refundedCredit: Money
    public var disputedCredit: Money
    public var createdAt: Int64
    public var updatedAt: Int64
    public var paidAt: Int64?
    public var expiresAt: Int64
    public var nextPollAt: Int64?
    public var polls: Int64
}

/// What a confirmation did to an order.
public enum SettleOutcome: Sendable, Equatable {
    /// The order went from pending (or expired) to paid and its credit was posted, in this call.
    case credited(PaymentOrder)
    /// The order had been paid before; nothing more was credited.
    case alreadyPaid(PaymentOrder)
    /// The order is in a state that cannot become paid (failed); nothing was credited.
    case notPayable(PaymentOrder)
    /// No order with that number belongs to that gateway instance.
    case unknownOrder
}

/// What the gateway proved about a payment, kept on the order.
public struct SettleEvidence: Sendable, Equatable {
    public var tradeNo: String?
    public var transactionRef: String?
    public var paymentIntent: String?

    /// Creates evidence.
    public init(tradeNo: String? = nil, transactionRef: String? = nil, paymentIntent: String? = nil) {
        self.tradeNo = tradeNo
        self.transactionRef = transactionRef
        self.paymentIntent = paymentIntent
    }
}

extension WharfStore {
    /// Creates a pending order of `amount` minor units through `gateway`, buying `credit` (computed by the caller
    /// with ``OrderCredit`` from the gateway's rate at this moment and fixed from now on).
    public func createOrder(
        id: String, userID: String, gateway: PaymentGatewayRecord, method: String, amount: Int64, credit: Money,
        expiresAt: Int64, firstPollAt: Int64?
    ) async throws -> PaymentOrder {
        let at = now
        try await database.withConnection { db in
            try await db.raw(
                """
                INSERT INTO payment_orders (id, user_id, gateway_id, method, currency, amount, credit, status, late,
                    refunded_amount, refunded_credit, disputed_credit, created_at, updated_at, expires_at, next_poll_at,
                    polls)
                VALUES (\(bind: id), \(bind: userID), \(bind: gateway.id), \(bind: method), \(bind: gateway.currency),
                    \(bind: amount), \(bind: credit.micros), 'pending', 0, 0, 0, 0, \(bind: at), \(bind: at),
                    \(bind: expiresAt), \(bind: firstPollAt), 0)
                """
            ).run()
        }
        guard let order = try await order(id: id) else { throw StoreError.notFound("order") }
        return order
    }

    /// Records the gateway's id for the payment attempt (made after the order row, before the user pays).
    public func setOrderProviderRef(id: String, providerRef: String) async throws {
        let at = now
        try await database.withConnection { db in
            try await db.raw(
                """
                UPDATE payment_orders SET provider_ref = \(bind: providerRef), updated_at = \(bind: at)
                WHERE id = \(bind: id) AND provider_ref IS NULL
                """
            ).run()
        }
    }

    /// One order, or nil.
    public func order(id: String) async throws -> PaymentOrder? {
        try await database.withConnection { db in
            try await db.raw("SELECT * FROM payment_orders WHERE id = \(bind: id)").first().map(Self.decodeOrder)
        }
    }

    /// The order Stripe knows by `paymentIntent` under gateway `gatewayID`, or nil.
    public func order(paymentIntent: String, gatewayID: String) async throws -> PaymentOrder? {
        try await database.withConnection { db in
            try await db.raw(
                """
                SELECT * FROM payment_orders
                WHERE payment_intent = \(bind: paymentIntent) AND gateway_id = \(bind: gatewayID)
                """
            ).first().map(Self.decodeOrder)
        }
    }

    /// A user's orders, newest first.
    public func orders(userID: String, limit: Int, offset: Int = 0) async throws -> [PaymentOrder] {
        try await database.withConnection { db in
            try await db.raw(
                """
                SELECT * FROM payment_orders WHERE user_id = \(bind: userID)
                ORDER BY created_at DESC, id LIMIT \(bind: limit) OFFSET \(bind: offset)
                """
            ).all().map(Self.decodeOrder)
        }
    }

    /// Orders for the admin list, newest first; only those needing review when `reviewOnly`.
    public func allOrders(reviewOnly: Bool, limit: Int, offset: Int = 0) async throws -> [PaymentOrder] {
        try await database.withConnection { db in
            let filter = reviewOnly ? "WHERE review IS NOT NULL" : ""
            return try await db.raw(
                """
                SELECT * FROM payment_orders \(unsafeRaw: filter)
                ORDER BY created_at DESC, id LIMIT \(bind: limit) OFFSET \(bind: offset)
                """
            ).all().map(Self.decodeOrder)
        }
    }

    /// The one way an order is paid. In one transaction: the order goes from pending (or expired) to paid under a
    /// compare-and-swap that also names the gateway instance (a confirmation for one gateway never pays another's
    /// order), the `topup` entry is written under the order's unique source key, and the balance grows by the
    /// order's credit. However many confirmations race, one credits; the others see ``SettleOutcome/alreadyPaid``.
    ///
    /// A trade number or transaction id already used by another order is refused (one payment pays one order).
    public func settleOrder(id: String, gatewayID: String, evidence: SettleEvidence) async throws -> SettleOutcome {
        let at = now
        return try await database.transaction { db -> SettleOutcome in
            if evidence.tradeNo != nil || evidence.transactionRef != nil {
                let other = try await db.raw(
                    """
                    SELECT id FROM payment_orders WHERE id <> \(bind: id)
                    AND ((gateway_id = \(bind: gatewayID) AND trade_no = \(bind: evidence.tradeNo))
                        OR transaction_ref = \(bind: evidence.transactionRef))
                    """
                ).first()
                if other != nil { throw StoreError.duplicate("a payment that already paid another order") }
            }
            let updated = try await db.raw(
                """
                UPDATE payment_orders SET status = 'paid',
                    late = CASE WHEN status = 'expired' THEN 1 ELSE 0 END,
                    trade_no = COALESCE(\(bind: evidence.tradeNo), trade_no),
                    transaction_ref = COALESCE(\(bind: evidence.transactionRef), transaction_ref),
                    payment_intent = COALESCE(\(bind: evidence.paymentIntent), payment_intent),
                    paid_at = \(bind: at), updated_at = \(bind: at), next_poll_at = NULL
                WHERE id = \(bind: id) AND gateway_id = \(bind: gatewayID) AND status IN ('pending', 'expired')
                RETURNING *
                """
            ).first().map(Self.decodeOrder)
            guard let order = updated else {
                guard
                    let current = try await db.raw(
                        "SELECT * FROM payment_orders WHERE id = \(bind: id) AND gateway_id = \(bind: gatewayID)"
                    ).first().map(Self.decodeOrder)
                else { return .unknownOrder }
                return current.status.wasPaid ? .alreadyPaid(current) : .notPayable(current)
            }
            try await Self.insertEntry(
                db, userID: order.userID, kind: .topup, amount: order.credit.micros, reference: order.id,
                reason: nil, at: at, sourceKey: "order:\(order.id)")
            try await db.raw(
                """
                UPDATE wallets SET balance = balance + \(bind: order.credit.micros), updated_at = \(bind: at)
                WHERE user_id = \(bind: order.userID)
                """
            ).run()
            try await Self.bumpConfigVersion(db)
            return .credited(order)
        }
    }

    /// Moves a pending order to `status` (`failed` or `expired`) unless something else settled it first; returns
    /// whether it moved.
    @discardableResult
    public func closeOrder(id: String, gatewayID: String, as status: PaymentOrderStatus) async throws -> Bool {
        guard status == .failed || status == .expired else {
            throw StoreError.invalid("orders close as failed or expired")
        }
        let at = now
        return try await database.withConnection { db in
            try await db.raw(
                """
                UPDATE payment_orders SET status = \(bind: status.rawValue), updated_at = \(bind: at), next_poll_at = NULL
                WHERE id = \(bind: id) AND gateway_id = \(bind: gatewayID) AND status = 'pending' RETURNING id
                """
            ).first() != nil
        }
    }

    /// Marks an order for an admin to look at (the gateway's state and Wharf's disagree), or clears the mark.
    public func setOrderReview(id: String, review: String?) async throws {
        let at = now
        try await database.withConnection { db in
            try await db.raw(
                "UPDATE payment_orders SET review = \(bind: review), updated_at = \(bind: at) WHERE id = \(bind: id)"
            ).run()
        }
    }

    /// Unpaid orders of an account still open.
    public func pendingOrderCount(userID: String) async throws -> Int {
        try await database.withConnection { db in
            let row = try await db.raw(
                """
                SELECT COUNT(*) AS n FROM payment_orders WHERE user_id = \(bind: userID) AND status = 'pending'
                """
            ).first()
            return Int(try row?.int64("n") ?? 0)
        }
    }

    /// Unpaid orders (pending, or expired but still watched for a late payment) whose next poll is due, oldest
    /// first.
    public func ordersDueForPoll(now at: Int64, limit: Int) async throws -> [PaymentOrder] {
        try await database.withConnection { db in
            try await db.raw(
                """
                SELECT * FROM payment_orders
                WHERE status IN ('pending', 'expired') AND next_poll_at IS NOT NULL AND next_poll_at <= \(bind: at)
                ORDER BY next_poll_at LIMIT \(bind: limit)
                """
            ).all().map(Self.decodeOrder)
        }
    }

    /// Schedules the next poll of an unpaid order (nil: no more polls).
    public func scheduleOrderPoll(id: String, at next: Int64?) async throws {
        let at = now
        try await database.withConnection { db in
            try await db.raw(
                """
                UPDATE payment_orders SET next_poll_at = \(bind: next), polls = polls + 1, updated_at = \(bind: at)
                WHERE id = \(bind: id) AND status IN ('pending', 'expired')
                """
            ).run()
        }
    }

    /// Expires pending orders whose time is up; returns how many. (A proven payment still settles them later, and
    /// the reconciler keeps asking about them for a while.)
    public func expireOrders(now at: Int64) async throws -> Int {
        try await database.withConnection { db in
            try await db.raw(
                """
                UPDATE payment_orders SET status = 'expired', updated_at = \(bind: at)
                WHERE status = 'pending' AND expires_at <= \(bind: at) RETURNING id
                """
            ).all().count
        }
    }

    /// Paid orders not yet cross-checked with their gateway: paid between `since` and `before`, oldest first.
    public func paidOrdersToCheck(since: Int64, before: Int64, limit: Int) async throws -> [PaymentOrder] {
        try await database.withConnection { db in
            try await db.raw(
                """
                SELECT * FROM payment_orders
                WHERE status = 'paid' AND checked_at IS NULL AND paid_at >= \(bind: since) AND paid_at < \(bind: before)
                    AND gateway_id IN (SELECT id FROM payment_gateways WHERE kind <> 'epusdt')
                ORDER BY paid_at LIMIT \(bind: limit)
                """
            ).all().map(Self.decodeOrder)
        }
    }

    /// Records a cross-check of a paid order with its gateway; `review` says how they disagree (nil: they agree).
    public func markOrderChecked(id: String, review: String?) async throws {
        let at = now
        try await database.withConnection { db in
            try await db.raw(
                """
                UPDATE payment_orders SET checked_at = \(bind: at), review = COALESCE(\(bind: review), review),
                    updated_at = \(bind: at)
                WHERE id = \(bind: id)
                """
            ).run()
        }
    }

    static func decodeOrder(_ row: any SQLRow) throws -> PaymentOrder {
        PaymentOrder(
            id: try row.string("id"), userID: try row.string("user_id"), gatewayID: try row.string("gateway_id"),
            method: try row.string("method"), currency: try row.string("currency"), amount: try row.int64("amount"),
            credit: Money(micros: try row.int64("credit")),
            status: PaymentOrderStatus(rawValue: try row.string("status")) ?? .failed,
            providerRef: try row.optionalString("provider_ref"), tradeNo: try row.optionalString("trade_no"),
            transactionRef: try row.optionalString("transaction_ref"),
            paymentIntent: try row.optionalString("payment_intent"), late: try row.int64("late") != 0,
            review: try row.optionalString("review"), refundedAmount: try row.int64("refunded_amount"),
            refundedCredit: Money(micros: try row.int64("refunded_credit")),
            disputedCredit: Money(micros: try row.int64("disputed_credit")), createdAt: try row.int64("created_at"),
            updatedAt: try row.int64("updated_at"), paidAt: try row.optionalInt64("paid_at"),
            expiresAt: try row.int64("expires_at"), nextPollAt: try row.optionalInt64("next_poll_at"),
            polls: try row.int64("polls"))
    }
}
