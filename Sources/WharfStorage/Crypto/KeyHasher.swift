import Crypto

/// Hashes API key secrets for storage and lookup. Keys carry ~285 bits of entropy, so a plain SHA-256 is the
/// right tool (a slow hash would only slow down every request). Runs once per relayed request: no Foundation
/// formatting.
public enum KeyHasher {
    static let hexDigits = Array("0123456789abcdef".utf8)

    /// Lowercase hex SHA-256 of `secret`.
    public static func hash(_ secret: some StringProtocol) -> String {
        var hasher = SHA256()
        var copy = String(secret)
        copy.withUTF8 { hasher.update(bufferPointer: UnsafeRawBufferPointer($0)) }
        let digest = hasher.finalize()
        return String(unsafeUninitializedCapacity: 64) { out in
            var i = 0
            for byte in digest {
                out[i] = hexDigits[Int(byte >> 4)]
                out[i + 1] = hexDigits[Int(byte & 0x0F)]
                i += 2
            }
            return 64
        }
    }
}
