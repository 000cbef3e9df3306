import WharfCore
import WharfPayments
import WharfStorage

/// The checks a verified payment notice must pass before its order is settled: the amount and currency it names
/// are the order's, compared as integers of minor units (never as floats or as text). Pure.
enum NoticeCheck {
    /// Why `notice` does not match `order`, or nil when it does. `requireAmount`: a callback must name the amount;
    /// an answer to Wharf's own query may leave it out.
    static func mismatch(_ notice: PaymentNotice, order: PaymentOrder, requireAmount: Bool) -> String? {
        let exponent = CurrencyAmount.exponent(for: order.currency)
        if let currency = notice.currency, currency.uppercased() != order.currency.uppercased() {
            return "currency \(currency.prefix(8)) differs from the order's \(order.currency)"
        }
        let paid: Int64?
        if let minor = notice.amountMinor {
            paid = minor
        } else if let text = notice.amountText {
            guard let minor = CurrencyAmount.parseMinor(text, exponent: exponent) else {
                return "the amount is not a valid \(order.currency) amount"
            }
            paid = minor
        } else {
            paid = nil
        }
        guard let paid else { return requireAmount ? "the callback names no amount" : nil }
        guard paid == order.amount else {
            return "amount \(CurrencyAmount.format(paid, exponent: exponent)) differs from the order's "
                + CurrencyAmount.format(order.amount, exponent: exponent)
        }
        return nil
    }
}
