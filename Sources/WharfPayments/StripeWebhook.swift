import Crypto
import WharfCore

/// Stripe webhook signatures (`Stripe-Signature: t=<unix>,v1=<hex>[,v1=…][,v0=…]`), verified here rather than by an
/// SDK: HMAC-SHA256 over `"<t>." + raw body`, any `v1` may match, a window in both directions, an empty secret refused.
public enum StripeWebhook {
    /// Verifies `header` for `payload` (the raw request bytes, before any JSON parsing). The header is split on `,`,
    /// each part on its first `=` (spaces around parts ignored); `t` must appear once, as decimal digits; `v0` and
    /// unknown schemes are ignored. The expected value is HMAC-SHA256 keyed by the secret's UTF-8 bytes (the `whsec_`
    /// prefix is part of the key). Order of checks: empty or whitespace-only secret ->
    /// ``PaymentRejection/missingSecret``; missing `t` or no `v1` -> ``PaymentRejection/malformed(_:)``; no `v1`
    /// matching (constant time) -> ``PaymentRejection/badSignature``; `|now - t| > tolerance` (past or future) ->
    /// ``PaymentRejection/staleTimestamp``.
    public static func verify(
        payload: [UInt8], header: String, secret: String, now: Int64, tolerance: Int64 = 300
    ) throws(PaymentRejection) {
        try SecretCheck.require(secret)
        var timestampText: String?
        var signatures: [String] = []
        for part in header.split(separator: ",", omittingEmptySubsequences: true) {
            let pair = part.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard pair.count == 2 else { continue }
            let name = pair[0].trimmingSpaces
            let value = pair[1].trimmingSpaces
            if name == "t" {
                guard timestampText == nil else { throw .malformed("signature header has two timestamps") }
                timestampText = value
            } else if name == "v1" {
                signatures.append(value)
            }
        }
        guard let timestampText, let timestamp = timestamp(timestampText) else {
            throw .malformed("signature header has no timestamp")
        }
        guard !signatures.isEmpty else { throw .malformed("signature header has no v1 signature") }
        let expected = signature(payload: payload, secret: secret, timestampText: timestampText)
        var matched = false
        for candidate in signatures {
            // Every candidate is compared, so the time does not say which one matched.
            if ConstantTime.equal(expected, candidate) { matched = true }
        }
        guard matched else { throw .badSignature }
        let (age, overflow) = now.subtractingReportingOverflow(timestamp)
        guard !overflow, age.magnitude <= max(tolerance, 0).magnitude else { throw .staleTimestamp }
    }

    /// The header Stripe would send for `payload` at `timestamp` (for tests and fakes).
    public static func signatureHeader(payload: [UInt8], secret: String, timestamp: Int64) -> String {
        let text = String(timestamp)
        return "t=\(text),v1=" + signature(payload: payload, secret: secret, timestampText: text)
    }

    /// Lowercase hex HMAC-SHA256 of `"<t>." + payload`.
    static func signature(payload: [UInt8], secret: String, timestampText: String) -> String {
        let key = SymmetricKey(data: Array(secret.utf8))
        let message = Array((timestampText + ".").utf8) + payload
        return Hex.lowercase(HMAC<SHA256>.authenticationCode(for: message, using: key))
    }

    /// A canonical decimal timestamp (digits, no leading zero, at most 18 digits), so the signed text is the number
    /// Stripe's SDKs would format.
    static func timestamp(_ text: String) -> Int64? {
        let bytes = Array(text.utf8)
        guard (1...18).contains(bytes.count), bytes.allSatisfy(CurrencyAmount.isDigit),
            bytes.count == 1 || bytes[0] != UInt8(ascii: "0")
        else { return nil }
        return JSONValue.integer(text)
    }
}

extension Substring {
    /// The text without leading and trailing spaces and tabs.
    fileprivate var trimmingSpaces: String {
        var text = self
        while text.first == " " || text.first == "\t" { text = text.dropFirst() }
        while text.last == " " || text.last == "\t" { text = text.dropLast() }
        return String(text)
    }
}
