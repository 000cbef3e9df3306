/// Money as integer minor units, and the decimal texts gateways use for it. No floating point anywhere.
public enum CurrencyAmount {
    /// Currencies whose amounts have no minor unit, as the Stripe API counts them (Stripe's zero-decimal list).
    static let zeroDecimal: Set<String> = [
        "BIF", "CLP", "DJF", "GNF", "JPY", "KMF", "KRW", "MGA", "PYG", "RWF", "UGX", "VND", "VUV", "XAF", "XOF", "XPF",
    ]
    /// Currencies with three decimals (ISO 4217 and Stripe's three-decimal list).
    static let threeDecimal: Set<String> = ["BHD", "JOD", "KWD", "OMR", "TND"]

    /// The number of decimals of `currency`'s minor unit as gateway APIs count it (case-insensitive): 0 for Stripe's
    /// zero-decimal currencies (JPY, KRW, VND, CLP, UGX, XAF, XOF, …), 3 for BHD, JOD, KWD, OMR and TND, 2 otherwise.
    ///
    /// ISK is 2 here although ISO 4217 gives it 0: the Stripe API keeps ISK two-decimal ("an ISK amount of 100
    /// represents 1 króna", amounts must be multiples of 100), so an ISK order of 5 króna is 500 minor units.
    public static func exponent(for currency: String) -> Int {
        let code = currency.uppercased()
        if zeroDecimal.contains(code) { return 0 }
        if threeDecimal.contains(code) { return 3 }
        return 2
    }

    /// Parses a non-negative decimal text in major units into minor units: `"10"`, `"10.0"` and `"10.00"` are all
    /// 1000 at exponent 2, and `"10.010"` is 1001 (extra digits must be zeros). Returns nil for anything else: an empty
    /// text, a sign, spaces, a leading or trailing `.`, exponent notation, grouping (`"1,00"`), non-ASCII digits, more
    /// significant decimals than `exponent` (`"10.001"`), a negative `exponent`, or an overflow of `Int64`.
    public static func parseMinor(_ text: String, exponent: Int) -> Int64? {
        guard exponent >= 0, exponent <= 18 else { return nil }
        let bytes = Array(text.utf8)
        let dot = bytes.firstIndex(of: UInt8(ascii: "."))
        let whole = bytes[..<(dot ?? bytes.endIndex)]
        let fraction = dot.map { bytes[($0 + 1)...] } ?? []
        guard !whole.isEmpty, dot == nil || !fraction.isEmpty else { return nil }
        guard whole.allSatisfy(isDigit), fraction.allSatisfy(isDigit) else { return nil }
        var value: Int64 = 0
        for digit in whole {
            guard let next = appendDigit(value, digit) else { return nil }
            value = next
        }
        for (i, digit) in fraction.enumerated() {
            if i < exponent {
                guard let next = appendDigit(value, digit) else { return nil }
                value = next
            } else if digit != UInt8(ascii: "0") {
                return nil
            }
        }
        for _ in fraction.count..<max(fraction.count, exponent) {
            guard let next = appendDigit(value, UInt8(ascii: "0")) else { return nil }
            value = next
        }
        return value
    }

    /// `minor` with exactly `exponent` decimals: 1000 at exponent 2 is `"10.00"`, 5 at exponent 0 is `"5"` (Epay
    /// `money`, HupiJiao `total_fee`).
    public static func format(_ minor: Int64, exponent: Int) -> String {
        let (sign, whole, fraction) = split(minor, exponent: exponent)
        return fraction.isEmpty ? sign + whole : sign + whole + "." + fraction
    }

    /// `minor` with no trailing zeros after the point, the way Go prints a float64 in shortest form: 4200 is `"42"`,
    /// 1420 is `"14.2"`, 425 is `"4.25"` at exponent 2 (epusdt `amount`).
    public static func formatShortest(_ minor: Int64, exponent: Int) -> String {
        let (sign, whole, fraction) = split(minor, exponent: exponent)
        var trimmed = Substring(fraction)
        while trimmed.last == "0" { trimmed = trimmed.dropLast() }
        return trimmed.isEmpty ? sign + whole : sign + whole + "." + trimmed
    }

    static func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }

    static func appendDigit(_ value: Int64, _ digit: UInt8) -> Int64? {
        let (times10, o1) = value.multipliedReportingOverflow(by: 10)
        let (sum, o2) = times10.addingReportingOverflow(Int64(digit - UInt8(ascii: "0")))
        return o1 || o2 ? nil : sum
    }

    /// The sign, the whole digits and the `exponent` fraction digits of `minor`.
    static func split(_ minor: Int64, exponent: Int) -> (sign: String, whole: String, fraction: String) {
        let digits = String(minor.magnitude)
        let places = max(exponent, 0)
        let padded = String(repeating: "0", count: max(0, places + 1 - digits.count)) + digits
        let cut = padded.index(padded.endIndex, offsetBy: -places)
        return (minor < 0 ? "-" : "", String(padded[..<cut]), String(padded[cut...]))
    }
}
