import WharfCore

/// The facts Wharf needs from a Dispute in a `charge.dispute.*` event.
public struct StripeDispute: Sendable, Equatable {
    /// The dispute id (`du_…` / `dp_…`).
    public var id: String
    /// The PaymentIntent id, by which the order is found.
    public var paymentIntent: String?
    /// The disputed amount in minor units.
    public var amount: Int64
    /// The upper-case ISO currency.
    public var currency: String
    /// `warning_needs_response`, `needs_response`, `under_review`, `won`, `lost`, …
    public var status: String

    /// A dispute with every field given.
    public init(id: String, paymentIntent: String? = nil, amount: Int64, currency: String, status: String) {
        self.id = id
        self.paymentIntent = paymentIntent
        self.amount = amount
        self.currency = currency
        self.status = status
    }

    /// Reads a `dispute` object.
    init(json object: JSONValue) throws(PaymentRejection) {
        guard let id = object["id"]?.nonEmptyString else { throw .malformed("dispute id missing") }
        guard let currency = object["currency"]?.nonEmptyString else { throw .malformed("dispute currency missing") }
        guard let status = object["status"]?.nonEmptyString else { throw .malformed("dispute status missing") }
        self.init(
            id: id, paymentIntent: StripeJSON.reference(object["payment_intent"]),
            amount: try StripeJSON.amount(object["amount"]), currency: currency.uppercased(), status: status)
    }
}
