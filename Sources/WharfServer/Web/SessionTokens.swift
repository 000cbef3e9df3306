import Crypto
import Foundation
import WharfStorage

/// Session and CSRF tokens. A session cookie holds 32 random bytes; the database holds only their SHA-256, so a
/// copy of the database cannot sign anyone in. The CSRF token of a session is an HMAC of its secret, so it needs no
/// storage and changes with every sign-in.
enum SessionTokens {
    /// A new random token (256 bits, URL-safe base64 without padding).
    static func generate() -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
        return base64URL(bytes)
    }

    /// The stored id of a session or one-time token.
    static func storedID(_ token: String) -> String { KeyHasher.hash(token) }

    /// The CSRF token bound to a session secret.
    static func csrf(forSession token: String) -> String {
        let mac = HMAC<SHA256>.authenticationCode(
            for: Data("wharf-csrf".utf8), using: SymmetricKey(data: Data(token.utf8)))
        return base64URL(Array(mac))
    }

    /// The `state` of a Telegram login redirect for this visitor: bound to their CSRF token, so a redirect link
    /// made for someone else's browser does not work in this one (no login CSRF).
    static func telegramState(csrf: String) -> String {
        let mac = HMAC<SHA256>.authenticationCode(
            for: Data("wharf-telegram".utf8), using: SymmetricKey(data: Data(csrf.utf8)))
        return base64URL(Array(mac))
    }

    /// Whether `text` looks like a token this server issued (so junk cookies are ignored before any lookup).
    static func isWellFormed(_ text: String) -> Bool {
        text.utf8.count == 43 && text.utf8.allSatisfy { isBase64URL($0) }
    }

    /// Compares two tokens in time independent of where they differ.
    static func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8)
        let y = Array(b.utf8)
        guard x.count == y.count, !x.isEmpty else { return false }
        var diff: UInt8 = 0
        for i in 0..<x.count { diff |= x[i] ^ y[i] }
        return diff == 0
    }

    static func base64URL(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    static func isBase64URL(_ b: UInt8) -> Bool {
        (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == 0x2D || b == 0x5F
    }
}
