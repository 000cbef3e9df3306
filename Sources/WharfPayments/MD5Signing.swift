import Crypto

/// The MD5 signing rule shared by Epay v1, HupiJiao and epusdt: drop the excluded keys and the empty values, sort the
/// keys by UTF-8 bytes, join `k=v` with `&` using raw (not URL-encoded) values, append the secret, and take the
/// lowercase hex MD5.
public enum MD5Signing {
    /// How the secret is appended to the canonical string.
    public enum SecretStyle: String, Sendable, Codable {
        /// `string + secret` (Epay v1 default, HupiJiao, epusdt).
        case plain
        /// `string + "&key=" + secret` (some Epay clones).
        case ampKey
    }

    /// The canonical string: keys in `excluding` and empty values dropped, keys sorted by UTF-8 byte order, `k=v`
    /// joined with `&`, values raw.
    public static func canonical(_ params: [String: String], excluding: Set<String>) -> String {
        params
            .filter { !excluding.contains($0.key) && !$0.value.isEmpty }
            .sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
            .map { "\($0.key)=\($0.value)" }
            .joined(separator: "&")
    }

    /// The lowercase hex MD5 of the canonical string with the secret appended in `style`.
    public static func sign(
        _ params: [String: String], secret: String, excluding: Set<String>, style: SecretStyle = .plain
    ) -> String {
        let base = canonical(params, excluding: excluding)
        let text =
            switch style {
            case .plain: base + secret
            case .ampKey: base + "&key=" + secret
            }
        return Hex.lowercase(Insecure.MD5.hash(data: Array(text.utf8)))
    }

    /// Whether `received` (hex, any case) is the signature of `params`, compared in constant time.
    static func matches(
        _ received: String?, _ params: [String: String], secret: String, excluding: Set<String>,
        style: SecretStyle = .plain
    ) -> Bool {
        guard let received, !received.isEmpty else { return false }
        let expected = sign(params, secret: secret, excluding: excluding, style: style)
        return ConstantTime.equal(expected, received.lowercased())
    }
}
