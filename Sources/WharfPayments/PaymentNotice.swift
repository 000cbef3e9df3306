/// What a verified callback or a query reply says about one order. Amounts are left as the gateway wrote them (or as
/// integers when the gateway sends minor units); comparing them with the order is the caller's job.
public struct PaymentNotice: Sendable, Equatable {
    /// The payment state the gateway reports.
    public enum Status: String, Sendable {
        /// Paid: the only state that may settle an order.
        case paid
        /// Not paid yet (or a state we do not recognise).
        case pending
        /// Closed, cancelled or expired at the gateway.
        case closed
        /// Failed at the gateway.
        case failed
    }

    /// Our order number (`out_trade_no`, `trade_order_id`, `order_id`, `client_reference_id`).
    public var orderNo: String
    /// The gateway's trade number (Epay `trade_no`, HupiJiao `open_order_id`, Stripe session or payment intent,
    /// epusdt `trade_id`).
    public var tradeNo: String?
    /// The amount exactly as the gateway sent it (decimal text in major units); nil when the protocol has none.
    public var amountText: String?
    /// The amount in minor units when the protocol sends minor units (Stripe); else nil.
    public var amountMinor: Int64?
    /// The upper-case ISO currency code when the protocol carries one; else nil.
    public var currency: String?
    /// The merchant identity as received (`pid`, `appid`).
    public var merchantID: String?
    /// The payment state.
    public var status: Status
    /// The payment network's reference (epusdt `block_transaction_id`, HupiJiao `transaction_id`).
    public var transactionReference: String?
    /// The payment method (Epay `type`) when present.
    public var method: String?

    /// A notice with every field given.
    public init(
        orderNo: String, tradeNo: String? = nil, amountText: String? = nil, amountMinor: Int64? = nil,
        currency: String? = nil, merchantID: String? = nil, status: Status, transactionReference: String? = nil,
        method: String? = nil
    ) {
        self.orderNo = orderNo
        self.tradeNo = tradeNo
        self.amountText = amountText
        self.amountMinor = amountMinor
        self.currency = currency
        self.merchantID = merchantID
        self.status = status
        self.transactionReference = transactionReference
        self.method = method
    }
}
