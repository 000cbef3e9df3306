/// Order numbers: `W` and 24 Crockford base32 characters (120 random bits), so that no one can guess another
/// person's order; letters and digits only, which every gateway accepts in its order-number field (≤ 32 chars).
public enum OrderNumber {
    /// A new order number from `generator` (use `SystemRandomNumberGenerator`).
    public static func make(using generator: inout some RandomNumberGenerator) -> String {
        var out: [UInt8] = [UInt8(ascii: "W")]
        for _ in 0..<24 {
            out.append(RedemptionCodeText.alphabet[Int(generator.next(upperBound: UInt8(32)))])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// True when `text` has the shape of an order number (checked before any lookup).
    public static func isWellFormed(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        return bytes.count == 25 && bytes[0] == UInt8(ascii: "W")
            && bytes.dropFirst().allSatisfy { RedemptionCodeText.alphabet.contains($0) }
    }
}
