import WharfCore

/// The facts Wharf needs from a Checkout Session (from an event or from `GET /v1/checkout/sessions/{id}`).
public struct StripeSession: Sendable, Equatable {
    /// The session id (`cs_…`).
    public var id: String
    /// Our order number: `client_reference_id`, else `metadata.wharf_order_id`.
    public var orderNo: String?
    /// `amount_total` in minor units.
    public var amountTotal: Int64?
    /// The upper-case ISO currency.
    public var currency: String?
    /// `paid`, `unpaid` or `no_payment_required`.
    public var paymentStatus: String?
    /// The PaymentIntent id (`pi_…`), whether sent as an id or as an expanded object.
    public var paymentIntent: String?
    /// `payment`, `setup` or `subscription`.
    public var mode: String?

    /// A session with every field given.
    public init(
        id: String, orderNo: String? = nil, amountTotal: Int64? = nil, currency: String? = nil,
        paymentStatus: String? = nil, paymentIntent: String? = nil, mode: String? = nil
    ) {
        self.id = id
        self.orderNo = orderNo
        self.amountTotal = amountTotal
        self.currency = currency
        self.paymentStatus = paymentStatus
        self.paymentIntent = paymentIntent
        self.mode = mode
    }

    /// Reads a `checkout.session` object.
    init(json object: JSONValue) throws(PaymentRejection) {
        guard let id = object["id"]?.nonEmptyString else { throw .malformed("session id missing") }
        self.init(
            id: id,
            orderNo: object["client_reference_id"]?.nonEmptyString
                ?? object["metadata"]?["wharf_order_id"]?.nonEmptyString,
            amountTotal: try StripeJSON.optionalAmount(object["amount_total"]),
            currency: object["currency"]?.nonEmptyString?.uppercased(),
            paymentStatus: object["payment_status"]?.nonEmptyString,
            paymentIntent: StripeJSON.reference(object["payment_intent"]),
            mode: object["mode"]?.nonEmptyString)
    }
}
