/// The secret of an API key: `sk-` followed by 48 base-62 characters drawn from the system CSPRNG
/// (`SystemRandomNumberGenerator`: getrandom(2) on Linux), about 285 bits of entropy.
///
/// Only a hash of the secret and its ``displayPrefix`` are ever stored; the secret is shown once.
public struct APIKeySecret: Sendable, CustomStringConvertible {
    /// Characters after the `sk-` prefix.
    public static let randomLength = 48
    static let alphabet = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".utf8)

    /// The full secret.
    public let value: String

    /// A fresh secret from `rng` (the system CSPRNG unless a test passes its own).
    public init(using rng: inout some RandomNumberGenerator) {
        var chars: [UInt8] = Array("sk-".utf8)
        for _ in 0..<Self.randomLength {
            chars.append(Self.alphabet[Int.random(in: 0..<Self.alphabet.count, using: &rng)])
        }
        value = String(decoding: chars, as: UTF8.self)
    }

    /// A fresh secret from the system CSPRNG.
    public static func generate() -> APIKeySecret {
        var rng = SystemRandomNumberGenerator()
        return APIKeySecret(using: &rng)
    }

    /// What the console shows of a key: `sk-` and its first 6 random characters.
    public var displayPrefix: String { String(value.prefix(9)) }

    /// Redacted: a secret never prints.
    public var description: String { "\(displayPrefix)…[REDACTED]" }

    /// Whether `text` has the shape of a Wharf key (cheap check before hashing).
    public static func looksValid(_ text: Substring) -> Bool {
        text.hasPrefix("sk-") && text.utf8.count >= 3 + 40 && text.utf8.count <= 200
    }
}
