import HTTPTypes
import Logging
import WharfCore
import WharfPayments
import WharfStorage

/// Top-ups from start to credit: creates orders, sends payers to their gateway, and confirms payments from every
/// source (a gateway's callback, the return page's query, the reconciler's poll, an admin) through one path, ending
/// in ``WharfStore/settleOrder(id:gatewayID:evidence:)``. Refunds and disputes go through here too.
public final class PaymentService: Sendable {
    let store: WharfStore
    let config: WharfConfig
    let http: PaymentHTTPClient
    let clock: WharfClock
    let logger: Logger

    /// Creates the service.
    public init(store: WharfStore, config: WharfConfig, http: PaymentHTTPClient, clock: WharfClock, logger: Logger) {
        self.store = store
        self.config = config
        self.http = http
        self.clock = clock
        self.logger = logger
    }

    /// The product name shown on gateways' pay pages.
    static let productName = "Wharf credit top-up"

    func driver(_ gateway: PaymentGatewayRecord) async throws -> GatewayDriver {
        GatewayDriver(
            gateway: gateway, secrets: try await store.paymentGatewaySecrets(id: gateway.id), http: http, clock: clock)
    }

    // MARK: starting a top-up

    /// Why a top-up could not start; each maps to a message on the billing page.
    enum TopUpRefusal: Error, Equatable {
        case unknownGateway
        case badMethod
        case badAmount
        case belowMinimum
        case aboveMaximum
        case gatewayUnavailable
    }

    /// Creates a pending order for `amountText` (a decimal in the gateway's currency) and starts paying it.
    func startTopUp(userID: String, gatewayName: String, amountText: String, method: String?) async throws
        -> (PaymentOrder, PaymentStart)
    {
        guard let gateway = try await store.paymentGateway(named: gatewayName), gateway.enabled else {
            throw TopUpRefusal.unknownGateway
        }
        let chosen = (method?.isEmpty ?? true) ? gateway.methods.first ?? "" : method ?? ""
        guard gateway.methods.contains(chosen) else { throw TopUpRefusal.badMethod }
        let exponent = CurrencyAmount.exponent(for: gateway.currency)
        guard
            let amount = CurrencyAmount.parseMinor(amountText.trimmingCharacters(in: .whitespaces), exponent: exponent),
            amount > 0,
            let credit = OrderCredit.credit(
                amountMinor: amount, exponent: exponent, creditPerUnit: gateway.creditPerUnit),
            credit.micros > 0
        else { throw TopUpRefusal.badAmount }
        if let min = gateway.minAmount, amount < min { throw TopUpRefusal.belowMinimum }
        if let max = gateway.maxAmount, amount > max { throw TopUpRefusal.aboveMaximum }
        let now = clock.nowMillis()
        var rng = SystemRandomNumberGenerator()
        var order = try await store.createOrder(
            id: OrderNumber.make(using: &rng), userID: userID, gateway: gateway, method: chosen, amount: amount,
            credit: credit, expiresAt: now + Int64(config.paymentOrderMinutes) * 60_000,
            // epusdt has no query call: its orders wait for the callback alone.
            firstPollAt: gateway.kind == GatewayKind.epusdt.rawValue
                ? nil : now + PaymentReconciler.firstPollDelayMillis)
        do {
            let (start, providerRef) = try await driver(gateway).start(
                order, notifyURL: PaymentURLs.callback(config, gatewayID: gateway.id),
                returnURL: PaymentURLs.receipt(config, orderID: order.id), productName: Self.productName)
            if let providerRef {
                try await store.setOrderProviderRef(id: order.id, providerRef: providerRef)
                order.providerRef = providerRef
            }
            return (order, start)
        } catch {
            // Nothing was paid: the attempt is over, and a retry makes a new order.
            try? await store.closeOrder(id: order.id, gatewayID: gateway.id, as: .failed)
            await log(gateway.id, order.id, "start", nil, "error", "could not start the payment: \(Self.reason(error))")
            throw TopUpRefusal.gatewayUnavailable
        }
    }

    // MARK: confirmations

    /// The answer to a gateway's callback.
    struct CallbackReply: Sendable {
        var status: HTTPResponse.Status
        var body: String
    }

    /// Handles a callback addressed to gateway instance `gatewayID`: verifies it, settles or closes the order it
    /// names, logs what happened, and answers the gateway's success text only after the change is committed. A
    /// callback that cannot be verified, or names an order of another instance, gets 400; a failure on Wharf's
    /// side gets 500, so that the gateway tries again.
    ///
    /// `quiet`: refusals are not written to the payment log (the caller's address has been refused too often; an
    /// accepted callback is always logged).
    func handleCallback(gatewayID: String, incoming: IncomingCallback, clientIP: String?, quiet: Bool = false) async
        -> CallbackReply
    {
        let gateway: PaymentGatewayRecord
        let driver: GatewayDriver
        do {
            guard let found = try await store.paymentGateway(id: gatewayID) else {
                return CallbackReply(status: .notFound, body: "unknown gateway")
            }
            gateway = found
            driver = try await self.driver(found)
        } catch {
            return CallbackReply(status: .internalServerError, body: "try again")
        }
        let message: CallbackMessage
        do {
            message = try driver.verify(incoming)
        } catch {
            if !quiet { await log(gateway.id, nil, "callback", clientIP, "refused", error.description) }
            return CallbackReply(status: .badRequest, body: "fail")
        }
        let ok = CallbackReply(status: .ok, body: driver.successReply)
        do {
            switch message {
            case .ignored(let type):
                await log(gateway.id, nil, "callback", clientIP, "acknowledged", "event \(type.prefix(60)) not used")
                return ok
            case .notice(let notice):
                let accepted = try await confirm(
                    notice, gateway: gateway, source: "callback", clientIP: clientIP, requireAmount: true)
                // A verified Stripe event about another payment (another instance's, or not Wharf's) is
                // acknowledged: refusing it would have Stripe retry it for days and disable the endpoint.
                return accepted || driver.kind == .stripe ? ok : CallbackReply(status: .badRequest, body: "fail")
            case .chargeRefunded(let charge):
                guard let order = try await stripeOrder(charge.paymentIntent, charge.orderNo, gateway) else {
                    await log(gateway.id, nil, "callback", clientIP, "acknowledged", "refund of a payment not ours")
                    return ok
                }
                guard charge.currency.uppercased() == order.currency.uppercased() else {
                    try await store.setOrderReview(id: order.id, review: "refund in another currency")
                    await log(gateway.id, order.id, "callback", clientIP, "refused", "refund in another currency")
                    return ok
                }
                let outcome = try await store.refundOrderTo(
                    id: order.id, cumulativeAmount: charge.amountRefunded,
                    externalRef: "charge:\(charge.id):\(charge.amountRefunded)")
                await log(gateway.id, order.id, "callback", clientIP, Self.describe(outcome), "charge refunded")
                return ok
            case .dispute(let kind, let dispute):
                guard let order = try await stripeOrder(dispute.paymentIntent, nil, gateway) else {
                    await log(gateway.id, nil, "callback", clientIP, "acknowledged", "dispute of a payment not ours")
                    return ok
                }
                guard dispute.currency.uppercased() == order.currency.uppercased() else {
                    try await store.setOrderReview(id: order.id, review: "dispute in another currency")
                    await log(gateway.id, order.id, "callback", clientIP, "refused", "dispute in another currency")
                    return ok
                }
                let outcome: ReversalOutcome
                switch kind {
                case .created:
                    outcome = try await store.disputeOrder(id: order.id, disputeID: dispute.id, amount: dispute.amount)
                case .closed:
                    // Won, or an inquiry closed without a chargeback (`warning_closed`): the credit comes back.
                    let lost = dispute.status == "lost"
                    outcome = try await store.closeDispute(id: order.id, disputeID: dispute.id, lost: lost)
                    if lost, case .applied = outcome {
                        try await store.setOrderReview(
                            id: order.id, review: "dispute lost: its credit stays taken back")
                    }
                }
                await log(
                    gateway.id, order.id, "callback", clientIP, Self.describe(outcome),
                    "dispute \(kind.rawValue) (\(dispute.status.prefix(30)))")
                return ok
            }
        } catch {
            logger.error(
                "payment callback failed; the gateway will retry",
                metadata: ["gateway": "\(gateway.id)", "error": "\(Self.reason(error))"])
            await log(gateway.id, nil, "callback", clientIP, "error", Self.reason(error))
            return CallbackReply(status: .internalServerError, body: "try again")
        }
    }

    func stripeOrder(_ intent: String?, _ orderNo: String?, _ gateway: PaymentGatewayRecord) async throws
        -> PaymentOrder?
    {
        if let intent, let order = try await store.order(paymentIntent: intent, gatewayID: gateway.id) {
            return order
        }
        if let orderNo, let order = try await store.order(id: orderNo), order.gatewayID == gateway.id {
            return order
        }
        return nil
    }

    /// Acts on a verified notice about one order (every confirmation source comes through here). Returns false when
    /// the notice names no order of this gateway instance (the callback is then refused); true when it was handled,
    /// whether or not it credited anything.
    @discardableResult
    func confirm(
        _ notice: PaymentNotice, gateway: PaymentGatewayRecord, source: String, clientIP: String?, requireAmount: Bool
    ) async throws -> Bool {
        if notice.orderNo.isEmpty {
            // A verified event about a payment Wharf did not start (another product on the same Stripe account).
            await log(gateway.id, nil, source, clientIP, "acknowledged", "not a Wharf order")
            return true
        }
        guard OrderNumber.isWellFormed(notice.orderNo), let order = try await store.order(id: notice.orderNo) else {
            await log(gateway.id, nil, source, clientIP, "refused", "unknown order")
            return false
        }
        guard order.gatewayID == gateway.id else {
            // A callback for one gateway never completes another's order.
            await log(gateway.id, order.id, source, clientIP, "refused", "the order belongs to another gateway")
            return false
        }
        let isStripe = gateway.kind == GatewayKind.stripe.rawValue
        if isStripe, notice.method.map({ $0 != "payment" }) ?? false {
            await log(gateway.id, order.id, source, clientIP, "refused", "not a one-time payment session")
            return false
        }
        if isStripe, let ref = order.providerRef, let session = notice.tradeNo, session != ref {
            await log(gateway.id, order.id, source, clientIP, "refused", "not the checkout session of the order")
            return false
        }
        switch notice.status {
        case .pending:
            await log(gateway.id, order.id, source, clientIP, "acknowledged", "not paid yet")
            return true
        case .closed, .failed:
            let closed = try await store.closeOrder(
                id: order.id, gatewayID: gateway.id, as: notice.status == .failed ? .failed : .expired)
            await log(
                gateway.id, order.id, source, clientIP, "acknowledged",
                closed ? "the gateway closed the payment" : "closed by the gateway; the order had moved on")
            return true
        case .paid:
            break
        }
        if let problem = NoticeCheck.mismatch(notice, order: order, requireAmount: requireAmount) {
            try await store.setOrderReview(id: order.id, review: problem)
            await log(gateway.id, order.id, source, clientIP, "refused", problem)
            logger.warning(
                "payment does not match its order; not credited",
                metadata: ["order": "\(order.id)", "why": "\(problem)"])
            return true
        }
        let evidence =
            isStripe
            ? SettleEvidence(tradeNo: notice.tradeNo, paymentIntent: notice.transactionReference)
            : SettleEvidence(tradeNo: notice.tradeNo, transactionRef: notice.transactionReference)
        let outcome: SettleOutcome
        do {
            outcome = try await store.settleOrder(id: order.id, gatewayID: gateway.id, evidence: evidence)
        } catch StoreError.duplicate {
            let problem = "its payment reference already paid another order"
            try await store.setOrderReview(id: order.id, review: problem)
            await log(gateway.id, order.id, source, clientIP, "refused", problem)
            return true
        }
        switch outcome {
        case .credited(let paid):
            await log(
                gateway.id, paid.id, source, clientIP, "credited",
                "credited \(paid.credit)" + (paid.late ? " (paid after the order expired)" : ""))
            logger.info("order paid", metadata: ["order": "\(paid.id)", "source": "\(source)"])
        case .alreadyPaid(let current):
            if let stored = current.tradeNo, let sent = notice.tradeNo, stored != sent, !isStripe {
                // One order, two payments: never a second credit; an admin refunds the extra payment.
                try await store.setOrderReview(
                    id: current.id, review: "a second payment (another trade number) arrived for this paid order")
            }
            await log(gateway.id, current.id, source, clientIP, "already_paid", "nothing more credited")
        case .notPayable(let current):
            try await store.setOrderReview(
                id: current.id, review: "paid after the order had \(current.status.rawValue)")
            await log(gateway.id, current.id, source, clientIP, "refused", "order is \(current.status.rawValue)")
        case .unknownOrder:
            await log(gateway.id, order.id, source, clientIP, "refused", "unknown order")
            return false
        }
        return true
    }

    /// Asks the gateway about a pending order and settles it when paid (reconciler, return page). Returns the order
    /// as it stands afterwards.
    @discardableResult
    public func poll(_ order: PaymentOrder, source: String) async -> PaymentOrder {
        guard order.status == .pending || order.status == .expired,
            let gateway = try? await store.paymentGateway(id: order.gatewayID)
        else { return order }
        do {
            if let notice = try await driver(gateway).query(order) {
                guard notice.orderNo == order.id else {
                    await log(gateway.id, order.id, source, nil, "refused", "the gateway answered about another order")
                    return order
                }
                try await confirm(notice, gateway: gateway, source: source, clientIP: nil, requireAmount: false)
            }
        } catch {
            await log(gateway.id, order.id, source, nil, "error", "query failed: \(Self.reason(error))")
        }
        return (try? await store.order(id: order.id)) ?? order
    }

    /// Cross-checks a paid order with its gateway (reconciliation the other way round): a gateway that does not
    /// report it paid marks the order for review. Gateways without a query call are left unchecked.
    func crossCheck(_ order: PaymentOrder) async {
        guard let gateway = try? await store.paymentGateway(id: order.gatewayID) else { return }
        do {
            let driver = try await driver(gateway)
            guard driver.kind != .epusdt else { return }
            let notice = try await driver.query(order)
            let agrees = notice?.status == .paid && notice?.orderNo == order.id
            let review = agrees ? nil : "Wharf credited this order but the gateway does not report it paid"
            try await store.markOrderChecked(id: order.id, review: review)
            if !agrees {
                await log(gateway.id, order.id, "poll", nil, "refused", review ?? "")
                logger.warning("a paid order is not paid at its gateway", metadata: ["order": "\(order.id)"])
            }
        } catch {
            // Marked checked either way, so one unreachable gateway cannot starve the others' checks.
            let why = "could not be confirmed with the gateway: \(Self.reason(error))"
            try? await store.markOrderChecked(id: order.id, review: why)
            await log(gateway.id, order.id, "poll", nil, "error", why)
        }
    }

    // MARK: admin

    /// Why an admin's refund could not be made.
    enum RefundRefusal: Error, Equatable {
        case unknownOrder
        case partialNotSupported
        case gatewayRefused
        case noRefundCall
        case outsideStripe
        case refused(String)
    }

    /// Refunds `amount` of an order: through the gateway's refund call where it has one (`outside` false), else
    /// recorded as settled outside Wharf; then the credit is taken back. Audited with the reason.
    ///
    /// The refund is applied as "refunded up to what was refunded when the admin asked, plus `amount`", in the same
    /// step as Stripe's `charge.refunded` webhook, so a refund and its own webhook, in either order, take the credit
    /// back once. `requestToken` (one per rendering of the order page) makes the gateway call idempotent, so a
    /// resubmitted form or a retry after a timeout does not refund twice.
    func refund(
        orderID: String, amount: Int64, outside: Bool, actorID: String, reason: String, requestToken: String
    ) async throws -> ReversalOutcome {
        guard let order = try await store.order(id: orderID),
            let gateway = try await store.paymentGateway(id: order.gatewayID)
        else { throw RefundRefusal.unknownOrder }
        guard order.status.wasPaid else { throw RefundRefusal.refused("the order was not paid") }
        guard amount > 0, amount <= order.amount - order.refundedAmount else {
            throw RefundRefusal.refused("the refund would exceed what was paid")
        }
        // One refund per rendering of the order page: a resubmitted form never reaches the gateway again.
        let reference = "admin:\(requestToken)"
        guard try await !store.hasReversal(orderID: order.id, externalRef: reference) else {
            throw RefundRefusal.refused("this refund was already made")
        }
        if outside && gateway.kind == GatewayKind.stripe.rawValue {
            // Stripe reports its refunds as a running total that must stay comparable with Wharf's.
            throw RefundRefusal.outsideStripe
        }
        if !outside {
            let driver = try await driver(gateway)
            guard driver.refundSupport.api else { throw RefundRefusal.noRefundCall }
            guard driver.refundSupport.partial || (amount == order.amount && order.refundedAmount == 0) else {
                throw RefundRefusal.partialNotSupported
            }
            let gatewayReference: String
            do {
                gatewayReference = try await driver.refund(
                    order, amount: amount, reason: reason, idempotencyKey: "refund:\(order.id):\(requestToken)")
            } catch {
                await log(gateway.id, order.id, "admin", nil, "error", "refund failed: \(Self.reason(error))")
                throw RefundRefusal.gatewayRefused
            }
            // The money went back: recorded before the credit is touched, so a failure below leaves a trace.
            await log(
                gateway.id, order.id, "admin", nil, "acknowledged",
                "gateway refunded \(amount) (\(gatewayReference.prefix(80)))")
        }
        var outcome = try await store.refundOrderTo(
            id: order.id, cumulativeAmount: order.refundedAmount + amount, externalRef: reference, actorID: actorID,
            reason: reason)
        if case .refused(let current, _) = outcome, !outside {
            // The gateway's own refund event got there first and took the credit back: the refund is done, and
            // recorded as done, so the same request sent again finds it.
            do {
                try await store.recordRefundRequest(
                    orderID: order.id, externalRef: reference, amount: amount, actorID: actorID, reason: reason)
            } catch {
                // The same request sent twice at once, recorded by the other: done either way.
                guard try await store.hasReversal(orderID: order.id, externalRef: reference) else { throw error }
            }
            outcome = .duplicate(current)
        }
        await log(
            gateway.id, order.id, "admin", nil, Self.describe(outcome), outside ? "refund settled outside" : "refund")
        try await store.audit(
            actorID: actorID, action: "order.refund", target: order.id,
            detail: "amount=\(amount) outside=\(outside) reason=\(reason.prefix(200))")
        return outcome
    }

    /// Settles an order by an admin's word (payment proven outside the callbacks), through the same settle step.
    func markPaid(orderID: String, actorID: String, reason: String) async throws -> SettleOutcome {
        guard let order = try await store.order(id: orderID) else { throw RefundRefusal.unknownOrder }
        let outcome = try await store.settleOrder(id: order.id, gatewayID: order.gatewayID, evidence: SettleEvidence())
        await log(order.gatewayID, order.id, "admin", nil, Self.describe(outcome), "marked paid")
        if case .credited = outcome {
            try await store.audit(
                actorID: actorID, action: "order.mark_paid", target: order.id, detail: "reason=\(reason.prefix(200))")
        }
        return outcome
    }

    // MARK: logging

    func log(
        _ gatewayID: String?, _ orderID: String?, _ source: String, _ ip: String?, _ outcome: String, _ detail: String
    )
        async
    {
        do {
            try await store.logPaymentEvent(
                PaymentEventRecord(
                    gatewayID: gatewayID, orderID: orderID, source: source, clientIP: ip, outcome: outcome,
                    detail: detail))
        } catch {
            logger.error("could not log a payment event", metadata: ["order": "\(orderID ?? "-")"])
        }
    }

    static func describe(_ outcome: ReversalOutcome) -> String {
        switch outcome {
        case .applied: "applied"
        case .duplicate: "duplicate"
        case .refused: "refused"
        }
    }

    static func describe(_ outcome: SettleOutcome) -> String {
        switch outcome {
        case .credited: "credited"
        case .alreadyPaid: "already_paid"
        case .notPayable, .unknownOrder: "refused"
        }
    }

    /// An error as safe text: rejections and store errors say what they are; anything else only its type (a
    /// driver's error could carry a URL with a key in it).
    static func reason(_ error: any Error) -> String {
        switch error {
        case let rejection as PaymentRejection: rejection.description
        case let failure as PaymentHTTPClient.Failure: failure.description
        case let store as StoreError: store.description
        default: String(describing: type(of: error))
        }
    }
}
