import SQLKit
import WharfCore

/// A refund or dispute step on a paid order.
public enum PaymentReversalKind: String, Sendable {
    /// Money returned to the payer; the matching credit is taken back (`refund` ledger entry).
    case refund
    /// The payer disputed the charge; the order's remaining credit is held back (`chargeback` entry, negative).
    case dispute
    /// The dispute was won; the held-back credit is restored (`chargeback` entry, positive).
    case disputeWon = "dispute_won"
    /// The dispute was lost; the hold-back becomes final (no ledger entry).
    case disputeLost = "dispute_lost"
}

/// What a refund or dispute step did.
public enum ReversalOutcome: Sendable, Equatable {
    /// Applied now: the order after it, and the credit moved (negative when taken back).
    case applied(PaymentOrder, creditChange: Money)
    /// This step (same kind and gateway reference) was applied before; nothing changed.
    case duplicate(PaymentOrder)
    /// Nothing to do: the refund would exceed what was paid, the order was never paid, or no dispute is open.
    case refused(PaymentOrder, reason: String)
}

extension WharfStore {
    /// Whether a refund or dispute step with reference `externalRef` was applied to the order.
    public func hasReversal(orderID: String, externalRef: String) async throws -> Bool {
        try await database.withConnection { db in
            try await db.raw(
                """
                SELECT id FROM payment_adjustments WHERE order_id = \(bind: orderID) AND external_ref = \(bind: externalRef)
                """
            ).first() != nil
        }
    }

    /// Brings an order's refunded amount up to `cumulativeAmount` (Stripe's `amount_refunded`, or an admin's refund
    /// counted from the amount refunded when it was asked for): the part not yet applied is applied, inside the
    /// transaction, so replays, reorderings and a refund racing its own webhook take the credit back once. The
    /// refund never exceeds what was paid and takes back the matching credit (the whole credit when it is full),
    /// even below zero when the credit was spent; the relay then refuses new requests until the account is
    /// settled. `externalRef` is the gateway's refund id (or the admin request): applying the same one twice
    /// changes nothing.
    public func refundOrderTo(
        id: String, cumulativeAmount: Int64, externalRef: String, actorID: String? = nil, reason: String? = nil
    ) async throws -> ReversalOutcome {
        try await reverse(id: id, kind: .refund, externalRef: externalRef, actorID: actorID, reason: reason) {
            order, disputes in
            guard order.status.wasPaid else { return .refuse("the order was not paid") }
            let total = min(max(cumulativeAmount, 0), order.amount)
            guard total > order.refundedAmount else { return .refuse("already refunded that far") }
            return Self.refundPlan(order, disputes, total: total, amount: total - order.refundedAmount)
        }
    }

    /// The plan of a refund bringing the refunded amount to `total`. What the account has had taken back is always
    /// the refunded credit plus the held-back credit, and the hold is what the disputes claim, capped by the credit
    /// not refunded: so a refund takes the free credit first and never releases a dispute's claim.
    static func refundPlan(_ order: PaymentOrder, _ disputes: Disputes, total: Int64, amount: Int64) -> ReversalPlan {
        let refunded = OrderCredit.refundedCredit(credit: order.credit, amountMinor: order.amount, refundedMinor: total)
        let hold = Disputes.hold(order, refundedCredit: refunded, claimed: disputes.total)
        var next = order
        next.refundedAmount = total
        next.refundedCredit = refunded
        next.disputedCredit = Money(micros: hold)
        if order.status != .disputed { next.status = total == order.amount ? .refunded : .partiallyRefunded }
        return .apply(next, change: Self.takenBack(order) - Self.takenBack(next), amount: amount)
    }

    /// Credit the order's refunds and disputes have taken back from the account.
    static func takenBack(_ order: PaymentOrder) -> Int64 { order.refundedCredit.micros + order.disputedCredit.micros }

    /// The status of a paid order once no dispute is open on it.
    static func settledStatus(_ order: PaymentOrder) -> PaymentOrderStatus {
        order.refundedAmount == 0 ? .paid : order.refundedAmount >= order.amount ? .refunded : .partiallyRefunded
    }

    /// Opens a dispute of `amount` minor units: the matching share of the order's credit not yet refunded is held
    /// back (the balance may go below zero).
    public func disputeOrder(id: String, disputeID: String, amount: Int64) async throws -> ReversalOutcome {
        try await reverse(id: id, kind: .dispute, externalRef: disputeID, actorID: nil, reason: nil) {
            order, disputes in
            guard order.status.wasPaid else { return .refuse("the order was not paid") }
            let claimed = min(max(amount, 0), order.amount)
            var next = order
            next.disputedCredit = Money(
                micros: Disputes.hold(order, refundedCredit: order.refundedCredit, claimed: disputes.total + claimed))
            next.status = .disputed
            return .apply(next, change: Self.takenBack(order) - Self.takenBack(next), amount: claimed)
        }
    }

    /// Closes a dispute: anything but lost (won, or an inquiry closed without a chargeback) restores the held-back
    /// credit once; lost makes the hold-back final and marks the order for review.
    public func closeDispute(id: String, disputeID: String, lost: Bool) async throws -> ReversalOutcome {
        try await reverse(
            id: id, kind: lost ? .disputeLost : .disputeWon, externalRef: disputeID, actorID: nil, reason: nil
        ) { order, disputes in
            guard disputes.open.contains(disputeID) else { return .refuse("no such dispute is open on the order") }
            var next = order
            // Lost: its claim stays for good (the order stays disputed); nothing moves.
            if lost { return .apply(next, change: 0, amount: 0) }
            var remaining = disputes
            remaining.claims[disputeID] = nil
            next.disputedCredit = Money(
                micros: Disputes.hold(order, refundedCredit: order.refundedCredit, claimed: remaining.total))
            if remaining.claims.isEmpty { next.status = Self.settledStatus(order) }
            return .apply(next, change: Self.takenBack(order) - Self.takenBack(next), amount: 0)
        }
    }

    /// Records that an admin's refund request (`externalRef`) was carried out, when the gateway's own refund event
    /// had already taken the credit back: a resubmission of the same request then finds it and does nothing.
    public func recordRefundRequest(
        orderID: String, externalRef: String, amount: Int64, actorID: String, reason: String
    )
        async throws
    {
        try await database.withConnection { db in
            try await db.raw(
                """
                INSERT INTO payment_adjustments (id, order_id, kind, external_ref, amount, credit, actor_id, reason,
                    created_at)
                VALUES (\(bind: WharfID.make("padj")), \(bind: orderID), 'refund', \(bind: externalRef), \(bind: amount),
                    0, \(bind: actorID), \(bind: reason), \(bind: now))
                """
            ).run()
        }
    }

    /// The disputes that count against an order: every one opened and not won (lost ones count for good), with
    /// the amount each claims, and which of them are still open.
    struct Disputes: Sendable {
        var claims: [String: Int64] = [:]
        var lost: Set<String> = []
        /// The minor amount all of them claim together.
        var total: Int64 { claims.values.reduce(0, +) }
        var open: Set<String> { Set(claims.keys).subtracting(lost) }

        /// The credit held back when `claimed` minor units are disputed: their share of the credit, but never more
        /// than the credit not refunded.
        static func hold(_ order: PaymentOrder, refundedCredit: Money, claimed: Int64) -> Int64 {
            let share = OrderCredit.refundedCredit(
                credit: order.credit, amountMinor: order.amount, refundedMinor: min(max(claimed, 0), order.amount))
            return max(0, min(order.credit.micros - refundedCredit.micros, share.micros))
        }
    }

    static func disputes(_ db: any SQLDatabase, orderID: String) async throws -> Disputes {
        var result = Disputes()
        var won: Set<String> = []
        for row in try await db.raw(
            """
            SELECT kind, external_ref, amount FROM payment_adjustments
            WHERE order_id = \(bind: orderID) AND kind IN ('dispute', 'dispute_won', 'dispute_lost')
            """
        ).all() {
            let ref = try row.string("external_ref")
            switch try row.string("kind") {
            case "dispute": result.claims[ref] = try row.int64("amount")
            case "dispute_won": won.insert(ref)
            default: result.lost.insert(ref)
            }
        }
        for ref in won { result.claims[ref] = nil }
        return result
    }

    enum ReversalPlan {
        case apply(PaymentOrder, change: Int64, amount: Int64)
        case refuse(String)
    }

    /// Runs one step: in one transaction, reads the order, plans the change, records the step under its unique
    /// (order, kind, reference), updates the order under a compare-and-swap of the fields the plan read, writes the
    /// ledger entry under a unique source key and moves the balance. A lost race is retried on the new state.
    func reverse(
        id: String, kind: PaymentReversalKind, externalRef: String, actorID: String?, reason: String?,
        plan: @escaping @Sendable (PaymentOrder, Disputes) -> ReversalPlan
    ) async throws -> ReversalOutcome {
        for _ in 0..<5 {
            let at = now
            let outcome: ReversalOutcome? = try await database.transaction { db in
                guard
                    let order = try await db.raw("SELECT * FROM payment_orders WHERE id = \(bind: id)").first().map(
                        Self.decodeOrder)
                else { throw StoreError.notFound("order") }
                let seen = try await db.raw(
                    """
                    SELECT id FROM payment_adjustments WHERE order_id = \(bind: id) AND kind = \(bind: kind.rawValue)
                    AND external_ref = \(bind: externalRef)
                    """
                ).first()
                if seen != nil { return .duplicate(order) }
                switch plan(order, try await Self.disputes(db, orderID: id)) {
                case .refuse(let why): return .refused(order, reason: why)
                case .apply(let next, let change, let amount):
                    let swapped = try await db.raw(
                        """
                        UPDATE payment_orders SET status = \(bind: next.status.rawValue),
                            refunded_amount = \(bind: next.refundedAmount),
                            refunded_credit = \(bind: next.refundedCredit.micros),
                            disputed_credit = \(bind: next.disputedCredit.micros), updated_at = \(bind: at)
                        WHERE id = \(bind: id) AND status = \(bind: order.status.rawValue)
                            AND refunded_amount = \(bind: order.refundedAmount)
                            AND disputed_credit = \(bind: order.disputedCredit.micros)
                        RETURNING *
                        """
                    ).first().map(Self.decodeOrder)
                    guard let after = swapped else { return nil }
                    let stepID = WharfID.make("padj")
                    try await db.raw(
                        """
                        INSERT INTO payment_adjustments (id, order_id, kind, external_ref, amount, credit, actor_id,
                            reason, created_at)
                        VALUES (\(bind: stepID), \(bind: id), \(bind: kind.rawValue), \(bind: externalRef),
                            \(bind: amount), \(bind: change), \(bind: actorID), \(bind: reason), \(bind: at))
                        """
                    ).run()
                    if change != 0 {
                        try await Self.insertEntry(
                            db, userID: order.userID, kind: kind == .refund ? .refund : .chargeback, amount: change,
                            // The account's ledger names the order; the admin's reason stays in the step and the
                            // audit log.
                            reference: order.id, reason: nil, at: at, sourceKey: "\(kind.rawValue):\(stepID)")
                        try await db.raw(
                            """
                            UPDATE wallets SET balance = balance + \(bind: change), updated_at = \(bind: at)
                            WHERE user_id = \(bind: order.userID)
                            """
                        ).run()
                        try await Self.bumpConfigVersion(db)
                    }
                    return .applied(after, creditChange: Money(micros: change))
                }
            }
            if let outcome { return outcome }
        }
        throw StoreError.invalid("the order kept changing; try again")
    }

    /// Checks every order against the ledger: the entries that name it (top-up, refunds, chargebacks) add up to the
    /// credit it bought less what refunds and disputes took back, and no order is refunded beyond what was paid.
    /// Returns a line per order that does not.
    public func verifyOrders() async throws -> [String] {
        let postgres = database.dialect == .postgres
        // Both reads in one snapshot, so an order settled in between is not reported as a mismatch.
        return try await database.transaction(timeoutMillis: database.bulkTimeoutMillis) { db in
            if postgres { try await db.raw("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ").run() }
            var sums: [String: Int64] = [:]
            for row in try await db.raw(
                """
                SELECT reference, CAST(SUM(amount) AS BIGINT) AS total FROM ledger_entries
                WHERE kind IN ('topup', 'refund', 'chargeback') AND reference IS NOT NULL GROUP BY reference
                """
            ).all() {
                sums[try row.string("reference")] = try row.int64("total")
            }
            let rows = try await db.raw(
                """
                SELECT id, status, amount, credit, refunded_amount, refunded_credit, disputed_credit
                FROM payment_orders
                """
            ).all()
            var out: [String] = []
            for row in rows {
                let status = PaymentOrderStatus(rawValue: try row.string("status")) ?? .failed
                let paid = status.wasPaid ? try row.int64("credit") : 0
                let expected = paid - (try row.int64("refunded_credit")) - (try row.int64("disputed_credit"))
                let id = try row.string("id")
                let total = sums[id] ?? 0
                if total != expected {
                    out.append(
                        "order \(id): ledger entries sum to \(Money(micros: total)), expected \(Money(micros: expected))"
                    )
                }
                if try row.int64("refunded_amount") > row.int64("amount") {
                    out.append("order \(id): refunded more than was paid")
                }
            }
            return out
        }
    }
}
