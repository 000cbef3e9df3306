import WharfCore

/// The facts Wharf needs from a Charge in a `charge.refunded` event.
public struct StripeCharge: Sendable, Equatable {
    /// The charge id (`ch_…`).
    public var id: String
    /// The PaymentIntent id, by which the order is found.
    public var paymentIntent: String?
    /// `metadata.wharf_order_id` when present (set through `payment_intent_data[metadata]`).
    public var orderNo: String?
    /// The captured amount in minor units (`amount_captured`, else `amount`).
    public var amount: Int64
    /// The cumulative refunded amount in minor units: reverse only the delta against what was already reversed.
    public var amountRefunded: Int64
    /// The upper-case ISO currency.
    public var currency: String
    /// The latest refund's id (`refunds.data[0].id`) when the event carries the refund list, else the charge id.
    /// Since API version 2022-11-15 the list is not included by default, so the charge id is common: key reversals
    /// on the cumulative amount as well.
    public var refundID: String?

    /// A charge with every field given.
    public init(
        id: String, paymentIntent: String? = nil, orderNo: String? = nil, amount: Int64, amountRefunded: Int64,
        currency: String, refundID: String? = nil
    ) {
        self.id = id
        self.paymentIntent = paymentIntent
        self.orderNo = orderNo
        self.amount = amount
        self.amountRefunded = amountRefunded
        self.currency = currency
        self.refundID = refundID
    }

    /// Reads a `charge` object.
    init(json object: JSONValue) throws(PaymentRejection) {
        guard let id = object["id"]?.nonEmptyString else { throw .malformed("charge id missing") }
        guard let currency = object["currency"]?.nonEmptyString else { throw .malformed("charge currency missing") }
        let amount: Int64
        if let captured = try StripeJSON.optionalAmount(object["amount_captured"]) {
            amount = captured
        } else {
            amount = try StripeJSON.amount(object["amount"])
        }
        var latestRefund: String?
        if case .array(let refunds)? = object["refunds"]?["data"], let first = refunds.first {
            latestRefund = first["id"]?.nonEmptyString
        }
        self.init(
            id: id, paymentIntent: StripeJSON.reference(object["payment_intent"]),
            orderNo: object["metadata"]?["wharf_order_id"]?.nonEmptyString, amount: amount,
            amountRefunded: try StripeJSON.amount(object["amount_refunded"]), currency: currency.uppercased(),
            refundID: latestRefund ?? id)
    }
}
