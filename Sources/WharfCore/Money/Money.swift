import Foundation

/// An amount of the operator's currency in integer micro-units (1 unit = 1_000_000 micros).
///
/// Money is never a floating-point number anywhere in Wharf: it is parsed from and printed as a plain
/// decimal with at most six fractional digits.
public struct Money: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// Micro-units per currency unit.
    public static let microsPerUnit: Int64 = 1_000_000
    /// The zero amount.
    public static let zero = Money(micros: 0)

    /// The amount in micro-units; may be negative for debits.
    public var micros: Int64

    /// Creates an amount from micro-units.
    public init(micros: Int64) { self.micros = micros }

    /// Parses a plain decimal such as `12.50`, `-3`, `0.000001`.
    ///
    /// Rejects whitespace anywhere (an amount is typed exactly), exponents, separators, more than six fractional
    /// digits and values that overflow `Int64`.
    public init(parsing text: String) throws(MoneyError) {
        var s = Substring(text)
        var negative = false
        if s.first == "-" || s.first == "+" {
            negative = s.first == "-"
            s = s.dropFirst()
        }
        let parts = s.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        guard let whole = parts.first, !s.isEmpty else { throw .invalid(text) }
        let fraction = parts.count == 2 ? parts[1] : ""
        guard !(whole.isEmpty && fraction.isEmpty),
            whole.allSatisfy({ $0.isASCII && $0.isNumber }),
            fraction.allSatisfy({ $0.isASCII && $0.isNumber })
        else { throw .invalid(text) }
        guard fraction.count <= 6 else { throw .tooPrecise(text) }
        let padded = fraction + String(repeating: "0", count: 6 - fraction.count)
        guard let units = Int64(whole.isEmpty ? "0" : String(whole)), let micros = Int64(padded) else {
            throw .outOfRange(text)
        }
        let (scaled, o1) = units.multipliedReportingOverflow(by: Money.microsPerUnit)
        let (total, o2) = scaled.addingReportingOverflow(micros)
        guard !o1, !o2 else { throw .outOfRange(text) }
        self.micros = negative ? -total : total
    }

    /// The amount as a plain decimal with six fractional digits, e.g. `12.500000`.
    public var description: String {
        let magnitude = micros.magnitude
        let units = magnitude / UInt64(Money.microsPerUnit)
        let frac = magnitude % UInt64(Money.microsPerUnit)
        let fracText = String(frac)
        let padded = String(repeating: "0", count: 6 - fracText.count) + fracText
        return (micros < 0 ? "-" : "") + "\(units).\(padded)"
    }

    public static func < (lhs: Money, rhs: Money) -> Bool { lhs.micros < rhs.micros }
}

/// Why a text is not an amount of money.
public enum MoneyError: Error, Equatable, CustomStringConvertible {
    case invalid(String)
    case tooPrecise(String)
    case outOfRange(String)

    public var description: String {
        switch self {
        case .invalid(let t): "'\(t)' is not a decimal amount (use digits and an optional '.', e.g. 12.50)"
        case .tooPrecise(let t): "'\(t)' has more than 6 decimal places"
        case .outOfRange(let t): "'\(t)' is too large"
        }
    }
}
