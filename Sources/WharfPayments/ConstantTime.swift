/// Comparisons whose running time does not depend on where two secrets differ.
public enum ConstantTime {
    /// Whether `a` and `b` have the same UTF-8 bytes. Strings of different lengths return early (the length of a
    /// signature is public); for equal lengths every byte is compared, with no early exit on content.
    public static func equal(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8)
        let y = Array(b.utf8)
        guard x.count == y.count else { return false }
        var difference: UInt8 = 0
        for i in 0..<x.count {
            difference |= x[i] ^ y[i]
        }
        return difference == 0
    }
}
