import Foundation
import WharfCore
import WharfPayments
import WharfStorage

/// Checks an operator's description of a gateway instance (from `wharf payment add` or the admin page) and turns
/// it into a record and its secrets. One set of rules for both.
public enum PaymentGatewaySetup {
    /// What is wrong with the description: in English words for the operator at the command line
    /// (``description``), and as a translation key (``key``, `err_gw_…`) for the admin page.
    public struct Problem: Error, CustomStringConvertible, Equatable {
        public var description: String
        public var key: String
    }

    /// Methods offered when none are given.
    static func defaultMethods(_ kind: GatewayKind) -> [String] {
        switch kind {
        case .epay: ["alipay", "wxpay"]
        case .hupijiao: ["wxpay"]
        case .stripe: ["card"]
        case .epusdt: ["usdt"]
        }
    }

    /// True for loopback, private-network and link-local-free local names (where plain http is tolerated).
    static func isLocal(_ host: String) -> Bool {
        // A name without a dot (`localhost`, a compose service such as `bepusdt`) is resolved on this machine's
        // network.
        // (Not all digits or hex: "134744072" and "0x8080808" are IPv4 addresses to the resolver.)
        if !host.contains(".") {
            return !host.hasPrefix("0x") && !host.allSatisfy(\.isNumber)
        }
        let parts = host.split(separator: ".", omittingEmptySubsequences: false)
        // No leading zeros: "010" would be read as octal by the resolver.
        guard parts.count == 4, parts.allSatisfy({ $0 == "0" || ($0.first != "0" && !$0.isEmpty) }) else {
            return false
        }
        let octets = parts.compactMap { UInt8($0) }
        guard octets.count == 4 else { return false }
        return octets[0] == 127 || octets[0] == 10 || (octets[0] == 172 && (16...31).contains(octets[1]))
            || (octets[0] == 192 && octets[1] == 168)
    }

    /// Builds the record and secrets; every text is checked (see ``Problem``).
    public static func make(
        name: String, kind kindText: String, gatewayURL: String, merchantID: String?, key: String,
        webhookSecret: String?, currency: String, creditPerUnit: String, methods: String?, minAmount: String?,
        maxAmount: String?
    ) throws(Problem) -> (PaymentGatewayRecord, PaymentGatewaySecrets) {
        func fail(_ key: String, _ text: String) -> Problem { Problem(description: text, key: "err_gw_" + key) }
        let name = name.trimmingCharacters(in: .whitespaces)
        guard (1...64).contains(name.count),
            name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) })
        else { throw fail("name", "the name must be 1 to 64 letters, digits, '-', '_' or '.'") }
        guard let kind = GatewayKind(rawValue: kindText) else {
            throw fail("kind", "the kind must be one of: epay, hupijiao, stripe, epusdt")
        }
        var url = gatewayURL.trimmingCharacters(in: .whitespaces)
        while url.hasSuffix("/") { url.removeLast() }
        guard let parts = URLComponents(string: url), let scheme = parts.scheme?.lowercased(),
            scheme == "https" || scheme == "http", let host = parts.host?.lowercased(), !host.isEmpty,
            host.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "." || $0 == "-") }),
            parts.query == nil, parts.fragment == nil, parts.user == nil, parts.password == nil,
            (parts.port ?? 443) > 0 && (parts.port ?? 443) <= 65535,
            parts.path.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "/-._~%".contains($0)) })
        else {
            throw fail(
                "url",
                "the gateway URL must be an http(s) address with a host name or IPv4 address and no query, "
                    + "e.g. https://pay.example.com")
        }
        // Epay sends its merchant key in query strings, and every gateway's replies are trusted: plain http only
        // on this machine or a private network.
        if scheme == "http" && !isLocal(host) {
            throw fail("https", "the gateway URL must use https (plain http only for loopback or private addresses)")
        }
        let merchant = merchantID?.trimmingCharacters(in: .whitespaces)
        if kind == .epay || kind == .hupijiao {
            guard let merchant, (1...64).contains(merchant.count) else {
                throw fail("merchant", "\(kind.rawValue) needs --merchant-id (the pid or appid)")
            }
        }
        guard !key.trimmingCharacters(in: .whitespaces).isEmpty, key.count <= 4096 else {
            throw fail("key", "the key must not be empty")
        }
        // A key pasted with a stray space or newline would make every signature fail without saying why.
        for secret in [key, webhookSecret ?? ""] where secret != secret.trimmingCharacters(in: .whitespacesAndNewlines)
        {
            throw fail(
                "whitespace", "a key or secret starts or ends with a space or line break; paste it again without")
        }
        var webhook = webhookSecret
        if kind == .stripe {
            guard let secret = webhookSecret, !secret.trimmingCharacters(in: .whitespaces).isEmpty else {
                throw fail("webhook", "stripe needs --webhook-secret (the endpoint's whsec_… signing secret)")
            }
        } else if let given = webhookSecret, given.isEmpty {
            webhook = nil
        }
        let code = currency.trimmingCharacters(in: .whitespaces).uppercased()
        guard code.count == 3, code.allSatisfy({ $0.isASCII && $0.isLetter }) else {
            throw fail("currency", "the currency must be a three-letter code such as CNY or USD")
        }
        // Epay, HupiJiao and epusdt send amounts with two decimals; Stripe sends minor units (and treats
        // three-decimal currencies specially), so only two-decimal and, on Stripe, zero-decimal currencies.
        let places = CurrencyAmount.exponent(for: code)
        guard places == 2 || (places == 0 && kind == .stripe) else {
            throw fail("decimals", "\(code) has \(places) decimals, which \(kind.rawValue) amounts cannot express here")
        }
        guard let rate = try? Money(parsing: creditPerUnit.trimmingCharacters(in: .whitespaces)), rate.micros > 0
        else { throw fail("rate", "--credit-per-unit must be a positive decimal (credit bought by one \(code))") }
        let list =
            (methods ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
            .filter { !$0.isEmpty }
        guard
            list.allSatisfy({ m in
                (1...32).contains(m.count) && m.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }
            })
        else { throw fail("methods", "methods are short words such as alipay,wxpay,card,usdt") }
        let exponent = CurrencyAmount.exponent(for: code)
        func limit(_ text: String?, _ what: String) throws(Problem) -> Int64? {
            guard let text = text?.trimmingCharacters(in: .whitespaces), !text.isEmpty else { return nil }
            guard let minor = CurrencyAmount.parseMinor(text, exponent: exponent), minor > 0 else {
                throw fail("limit", "\(what) must be a positive amount in \(code) with at most \(exponent) decimals")
            }
            return minor
        }
        let minimum = try limit(minAmount, "--min-amount")
        let maximum = try limit(maxAmount, "--max-amount")
        if let minimum, let maximum, minimum > maximum { throw fail("limits", "--min-amount is above --max-amount") }
        let record = PaymentGatewayRecord(
            id: WharfID.make("pgw"), name: name, kind: kind.rawValue, gatewayURL: url,
            merchantID: (merchant?.isEmpty ?? true) ? nil : merchant, currency: code, creditPerUnit: rate,
            methods: list.isEmpty ? defaultMethods(kind) : Array(NSOrderedSet(array: list)) as? [String] ?? list,
            minAmount: minimum, maxAmount: maximum)
        return (record, PaymentGatewaySecrets(key: key, webhookSecret: webhook))
    }
}
