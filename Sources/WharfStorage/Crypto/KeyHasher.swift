import Crypto
import Foundation

/// Hashes API key secrets for storage and lookup. Keys carry ~285 bits of entropy, so a plain SHA-256 is the
/// right tool (a slow hash would only slow down every request).
public enum KeyHasher {
    /// Lowercase hex SHA-256 of `secret`.
    public static func hash(_ secret: some StringProtocol) -> String {
        var hasher = SHA256()
        hasher.update(data: Array(secret.utf8))
        return hasher.finalize().map { String(format: "%02x", $0) }.joined()
    }
}
