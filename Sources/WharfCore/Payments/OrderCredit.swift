/// The arithmetic of orders, in integers: the credit an amount buys, and the share of it a partial refund takes
/// back. Rounding always favours the operator by less than one micro-unit, and never leaves credit behind after a
/// full refund.
public enum OrderCredit {
    /// Credit bought by `amountMinor` minor units of a currency with `exponent` decimals, at `creditPerUnit` per
    /// whole unit, rounded down; nil when it overflows.
    public static func credit(amountMinor: Int64, exponent: Int, creditPerUnit: Money) -> Money? {
        guard amountMinor >= 0, creditPerUnit.micros >= 0, (0...6).contains(exponent) else { return nil }
        var divisor: Int64 = 1
        for _ in 0..<exponent { divisor *= 10 }
        let (high, low) = amountMinor.multipliedFullWidth(by: creditPerUnit.micros)
        // The quotient fits in Int64 only when the high half is well below the divisor (dividing would trap).
        let fits = divisor == 1 ? high == 0 && low < 1 << 63 : high >= 0 && UInt64(high) < UInt64(divisor) / 2
        guard fits else { return nil }
        let (quotient, _) = divisor.dividingFullWidth((high: high, low: low))
        return Money(micros: quotient)
    }

    /// The credit that a cumulative refund of `refundedMinor` of an order of `amountMinor` (which bought `credit`)
    /// takes back in total: exactly `credit` when everything is refunded, else the proportional share rounded down.
    public static func refundedCredit(credit: Money, amountMinor: Int64, refundedMinor: Int64) -> Money {
        guard amountMinor > 0, refundedMinor > 0 else { return .zero }
        guard refundedMinor < amountMinor else { return credit }
        let (high, low) = credit.micros.multipliedFullWidth(by: refundedMinor)
        let (quotient, _) = amountMinor.dividingFullWidth((high: high, low: low))
        return Money(micros: quotient)
    }
}
