/// What a key is allowed to do, checked on every request from memory.
public struct KeyPolicy: Hashable, Sendable {
    /// Models the key may call; empty means all.
    public var allowedModels: Set<String>
    /// Client addresses the key may be used from; empty means any.
    public var allowedIPs: [IPRange]
    /// Total the key may spend; nil means no limit beyond the balance.
    public var spendLimit: Money?
    /// Expiry in Unix milliseconds; nil means never.
    public var expiresAtMillis: Int64?
    /// Requests per minute the key may make; nil means the server's default.
    public var requestsPerMinute: Int64?
    /// Where the key's requests may be processed (regions, zero retention, no training), combined with its
    /// account's default when loaded for serving.
    public var transfer: TransferConstraints = .none

    /// Creates a policy.
    public init(
        allowedModels: Set<String> = [], allowedIPs: [IPRange] = [], spendLimit: Money? = nil,
        expiresAtMillis: Int64? = nil, requestsPerMinute: Int64? = nil
    ) {
        self.allowedModels = allowedModels
        self.allowedIPs = allowedIPs
        self.spendLimit = spendLimit
        self.expiresAtMillis = expiresAtMillis
        self.requestsPerMinute = requestsPerMinute
    }

    /// Whether the key has expired at `nowMillis`.
    public func isExpired(nowMillis: Int64) -> Bool { expiresAtMillis.map { nowMillis >= $0 } ?? false }

    /// Whether the key may call `model`.
    public func allows(model: String) -> Bool { allowedModels.isEmpty || allowedModels.contains(model) }

    /// Whether the key may be used from `address`.
    public func allows(address: String?) -> Bool {
        guard !allowedIPs.isEmpty else { return true }
        guard let address else { return false }
        return allowedIPs.contains { $0.contains(address) }
    }

    /// How much of the spend limit is left after `spent`; nil when unlimited.
    public func remaining(spent: Money) -> Money? {
        spendLimit.map { Money(micros: max(0, $0.micros - spent.micros)) }
    }
}
