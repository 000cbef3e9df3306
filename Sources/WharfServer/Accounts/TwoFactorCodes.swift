import Foundation
import HummingbirdOTP
import WharfStorage

/// Time-based one-time codes (RFC 6238: 6 digits, 30-second steps, HMAC-SHA1, as authenticator apps expect) and
/// backup codes. A code is accepted for the current step and one step either side, to allow for clock drift; the
/// caller then records the step so that no code works twice.
public enum TwoFactorCodes {
    static let stepSeconds: Int64 = 30
    static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
    static let backupAlphabet = Array("abcdefghjkmnpqrstuvwxyz23456789")

    /// A new secret: 32 random characters (about 190 bits) from the system's secure generator.
    public static func newSecret() -> String {
        var generator = SystemRandomNumberGenerator()
        return String((0..<32).map { _ in alphabet[Int.random(in: 0..<alphabet.count, using: &generator)] })
    }

    /// The `otpauth://` URL an authenticator app imports (its `secret` parameter is the base-32 form of the key).
    public static func authenticatorURL(secret: String, account: String) -> String {
        TOTP(secret: secret).createAuthenticatorURL(label: "Wharf:\(account)", issuer: "Wharf")
    }

    /// The key in base 32, to type into an authenticator by hand (groups of four).
    public static func typedKey(secret: String) -> String {
        let url = authenticatorURL(secret: secret, account: "x")
        guard let range = url.range(of: "secret=") else { return "" }
        let key = url[range.upperBound...].prefix { $0 != "&" }
        return stride(from: 0, to: key.count, by: 4).map { i -> String in
            let start = key.index(key.startIndex, offsetBy: i)
            return String(key[start..<(key.index(start, offsetBy: 4, limitedBy: key.endIndex) ?? key.endIndex)])
        }.joined(separator: " ")
    }

    /// The time step of `code` if it matches the current step or one either side of `nowMillis`.
    public static func matchingStep(secret: String, code: String, nowMillis: Int64) -> Int64? {
        let digits = code.filter { !$0.isWhitespace }
        guard digits.count == 6, digits.allSatisfy(\.isASCII), digits.allSatisfy(\.isNumber), let value = Int(digits)
        else { return nil }
        let totp = TOTP(secret: secret)
        let current = nowMillis / 1000 / stepSeconds
        for step in [current - 1, current, current + 1] {
            let date = Date(timeIntervalSince1970: Double(step * stepSeconds))
            if totp.compute(date: date) == value { return step }
        }
        return nil
    }

    /// The code for `nowMillis` (for tests and the set-up check).
    public static func code(secret: String, nowMillis: Int64) -> String {
        let value = TOTP(secret: secret).compute(date: Date(timeIntervalSince1970: Double(nowMillis) / 1000))
        return String(format: "%06d", value)
    }

    /// Ten new backup codes, `xxxx-xxxx`, shown once.
    public static func newBackupCodes() -> [String] {
        var generator = SystemRandomNumberGenerator()
        return (0..<10).map { _ in
            let chars = (0..<8).map { _ in backupAlphabet[Int.random(in: 0..<backupAlphabet.count, using: &generator)] }
            return String(chars[0..<4]) + "-" + String(chars[4..<8])
        }
    }

    /// The stored form of a backup code: SHA-256 of its letters, ignoring case, spaces and dashes.
    public static func backupHash(_ code: String) -> String {
        KeyHasher.hash(code.lowercased().filter { $0.isLetter || $0.isNumber })
    }
}
