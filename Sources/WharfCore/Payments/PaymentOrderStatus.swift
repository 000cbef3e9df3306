/// Where a top-up order stands. Only ``pending`` and ``expired`` orders can be settled (an expired order still
/// settles when the gateway proves it was paid, flagged late: the money was taken); ``failed`` is terminal.
public enum PaymentOrderStatus: String, Sendable, CaseIterable, Codable {
    /// Created; waiting for the gateway to confirm payment.
    case pending
    /// Paid and credited, once.
    case paid
    /// Not paid in time; a later proven payment still settles it.
    case expired
    /// The gateway reported the payment failed.
    case failed
    /// Refunded in full; its credit was taken back.
    case refunded
    /// Refunded in part; the matching share of its credit was taken back.
    case partiallyRefunded = "partially_refunded"
    /// The payer disputed the charge; its credit is held back until the dispute closes.
    case disputed

    /// True for orders whose credit was granted (and may be refunded or disputed).
    public var wasPaid: Bool { [.paid, .refunded, .partiallyRefunded, .disputed].contains(self) }
}
