import Logging
import ServiceLifecycle
import WharfCore
import WharfStorage

/// Reconciliation in the background: asks gateways about pending orders (many gateways call back once, or not at
/// all without extra set-up), with back-off, until the orders expire; then expires them. A payment found this way
/// goes through the same settle step as a callback. The other way round, each recently paid order is confirmed once
/// with its gateway; one the gateway does not report paid is listed for an admin (`/admin/orders?review=1`).
public final class PaymentReconciler: Service, Sendable {
    let payments: PaymentService
    let intervalMillis: Int64
    let logger: Logger

    /// The first poll of a new order, a minute after it was made.
    static let firstPollDelayMillis: Int64 = 60_000
    /// Orders asked about per pass (bounded; the rest wait for the next pass).
    static let batch = 50

    /// Creates a reconciler that runs a pass every `intervalMillis`.
    public init(payments: PaymentService, intervalMillis: Int64 = 30_000, logger: Logger) {
        self.payments = payments
        self.intervalMillis = intervalMillis
        self.logger = logger
    }

    /// The wait before the poll after `polls` polls: 1, 2, 4, 8 … minutes, at most 30.
    static func backoffMillis(afterPolls polls: Int64) -> Int64 {
        min(30 * 60_000, 60_000 << min(polls, 5))
    }

    /// How long after expiry an order is still asked about: a payer may pay late, and a gateway's single notify
    /// may be lost. After 1, 2, 4 and 8 hours, then every 6 hours, for 3 days.
    public static let lateWatchMillis: Int64 = 72 * 3_600_000
    static let lateIntervalMillis: Int64 = 6 * 3_600_000

    /// When to ask next about `order` (asked just now, at `now`), or nil for never again.
    static func nextPoll(_ order: PaymentOrder, now: Int64) -> Int64? {
        nextPoll(status: order.status, expiresAt: order.expiresAt, polls: order.polls, now: now)
    }

    /// The same, from the order's status, expiry and polls so far.
    public static func nextPoll(status: PaymentOrderStatus, expiresAt: Int64, polls: Int64, now: Int64) -> Int64? {
        if status == .pending, now < expiresAt {
            return min(now + backoffMillis(afterPolls: polls), expiresAt)
        }
        // After expiry: an hour, then as long again as it has been expired (1, 2, 4 hours …), at most 6 hours.
        let next = now + min(lateIntervalMillis, max(3_600_000, now - expiresAt))
        return next <= expiresAt + lateWatchMillis ? next : nil
    }

    /// One pass: polls the orders that are due, then expires those whose time is up (`now`: the clock's time
    /// unless given).
    public func runOnce(now given: Int64? = nil) async {
        let store = payments.store
        let now = given ?? payments.clock.nowMillis()
        do {
            for order in try await store.ordersDueForPoll(now: now, limit: Self.batch) {
                let after = await payments.poll(order, source: "poll")
                guard after.status == .pending || after.status == .expired else { continue }
                try await store.scheduleOrderPoll(id: order.id, at: Self.nextPoll(after, now: now))
            }
            let expired = try await store.expireOrders(now: now)
            if expired > 0 { logger.info("unpaid orders expired", metadata: ["count": "\(expired)"]) }
            // Orders paid in the last week are confirmed once with their gateway, ten minutes after payment (a
            // gateway's own records settle by then).
            for order in try await store.paidOrdersToCheck(
                since: now - 7 * 86_400_000, before: now - 10 * 60_000, limit: Self.batch)
            {
                await payments.crossCheck(order)
            }
        } catch {
            logger.error("payment reconciliation failed", metadata: ["error": "\(PaymentService.reason(error))"])
        }
    }

    public func run() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            await runOnce()
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .milliseconds(self.intervalMillis)) }
        }
    }
}
