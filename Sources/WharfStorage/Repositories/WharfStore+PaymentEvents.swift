import SQLKit
import WharfCore

/// One logged confirmation attempt: a gateway's callback, a return page, a poll or an admin action. Holds what was
/// checked and the outcome, never a secret, a signature or the payer's data.
public struct PaymentEventRecord: Sendable, Equatable {
    public var id: String
    public var receivedAt: Int64
    public var gatewayID: String?
    public var orderID: String?
    /// `callback`, `return`, `poll` or `admin`.
    public var source: String
    /// The address the callback came from (the gateway's server); nil for polls, admin actions and return pages.
    public var clientIP: String?
    /// `credited`, `already_paid`, `acknowledged`, `refused` or `error`.
    public var outcome: String
    public var detail: String

    /// Creates a record.
    public init(
        gatewayID: String?, orderID: String?, source: String, clientIP: String?, outcome: String, detail: String
    ) {
        id = WharfID.make("pev")
        receivedAt = 0
        self.gatewayID = gatewayID
        self.orderID = orderID
        self.source = source
        self.clientIP = clientIP
        self.outcome = outcome
        self.detail = detail
    }
}

extension WharfStore {
    /// Appends a payment event (detail bounded to 500 characters).
    public func logPaymentEvent(_ event: PaymentEventRecord) async throws {
        let at = now
        try await database.withConnection { db in
            try await db.raw(
                """
                INSERT INTO payment_events (id, received_at, gateway_id, order_id, source, client_ip, outcome, detail)
                VALUES (\(bind: event.id), \(bind: at), \(bind: event.gatewayID), \(bind: event.orderID),
                    \(bind: event.source), \(bind: event.clientIP), \(bind: event.outcome),
                    \(bind: String(event.detail.prefix(500))))
                """
            ).run()
        }
    }

    /// The newest payment events, optionally of one order.
    public func paymentEvents(orderID: String? = nil, limit: Int = 100) async throws -> [PaymentEventRecord] {
        try await database.withConnection { db in
            let rows =
                if let orderID {
                    try await db.raw(
                        """
                        SELECT * FROM payment_events WHERE order_id = \(bind: orderID)
                        ORDER BY received_at DESC, id LIMIT \(bind: limit)
                        """
                    ).all()
                } else {
                    try await db.raw("SELECT * FROM payment_events ORDER BY received_at DESC, id LIMIT \(bind: limit)")
                        .all()
                }
            return try rows.map { row in
                var event = PaymentEventRecord(
                    gatewayID: try row.optionalString("gateway_id"), orderID: try row.optionalString("order_id"),
                    source: try row.string("source"), clientIP: try row.optionalString("client_ip"),
                    outcome: try row.string("outcome"), detail: try row.string("detail"))
                event.id = try row.string("id")
                event.receivedAt = try row.int64("received_at")
                return event
            }
        }
    }
}
