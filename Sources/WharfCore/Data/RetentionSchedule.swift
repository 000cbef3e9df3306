/// How long each retention class of the data map is kept (promise P3), from configuration
/// (`retention_<class>_days`, `WHARF_RETENTION_<CLASS>_DAYS`). Pure: the retention job asks it for cut-off times and
/// the privacy page for the numbers it shows, so the page always states what the job enforces.
public struct RetentionSchedule: Sendable, Equatable {
    /// Usage records (one row per request): 90 days. Their daily rollups follow ``paymentDays``.
    public var usageDays = 90
    /// Security and sign-in records (sessions and their addresses, sign-in state): 180 days.
    public var securityDays = 180
    /// Support tickets and contact messages, counted from their last message: 365 days.
    public var supportDays = 365
    /// Payment records, the ledger and daily usage rollups: 1825 days (5 years).
    public var paymentDays = 1825
    /// The audit log: 1095 days (3 years).
    public var auditDays = 1095
    /// An erased account's grace: its pseudonymous remainder (revoked keys, consents, backup codes) goes after this.
    public var erasedAccountDays = 30

    /// The defaults.
    public init() {}

    /// One configurable class: its setting name, the days it keeps, and what it covers.
    public struct Entry: Sendable, Equatable {
        /// The setting's name without `retention_` and `_days`, e.g. `usage`.
        public var name: String
        public var days: Int
        /// The data map's retention class it enforces.
        public var retention: DataMap.Retention
    }

    /// The setting names (file spelling) and the allowed range of each.
    public static let settings: [(key: String, range: ClosedRange<Int>)] = [
        ("retention_usage_days", 1...3650), ("retention_security_days", 1...3650),
        ("retention_support_days", 1...3650), ("retention_payment_days", 365...3650),
        ("retention_audit_days", 30...3650), ("retention_erased_account_days", 0...365),
    ]

    /// Every class with its days, in the order the privacy page and the job report them.
    public var entries: [Entry] {
        [
            Entry(name: "usage", days: usageDays, retention: .usage),
            Entry(name: "security", days: securityDays, retention: .securityLog),
            Entry(name: "support", days: supportDays, retention: .support),
            Entry(name: "payment", days: paymentDays, retention: .payment),
            Entry(name: "audit", days: auditDays, retention: .audit),
            Entry(name: "erased_account", days: erasedAccountDays, retention: .accountLifetime),
        ]
    }

    /// Days a retention class keeps rows after their reference time; nil for classes without a day count
    /// (configuration, operational state that ends at expiry or sending).
    public func days(for retention: DataMap.Retention) -> Int? {
        switch retention {
        case .usage: usageDays
        case .securityLog: securityDays
        case .support: supportDays
        case .payment: paymentDays
        case .audit: auditDays
        case .accountLifetime: erasedAccountDays
        case .configuration, .operational: nil
        }
    }

    /// Sets one class from its setting name (`retention_usage_days` …); false when the name is not a retention
    /// setting.
    public mutating func set(_ key: String, days: Int) -> Bool {
        switch key {
        case "retention_usage_days": usageDays = days
        case "retention_security_days": securityDays = days
        case "retention_support_days": supportDays = days
        case "retention_payment_days": paymentDays = days
        case "retention_audit_days": auditDays = days
        case "retention_erased_account_days": erasedAccountDays = days
        default: return false
        }
        return true
    }

    /// Why this schedule cannot be enforced as stated, if it cannot: rollups of usage follow the payment window, so
    /// usage records may not outlive it (a rollup would otherwise count records that still exist, twice).
    public var problem: String? {
        usageDays > paymentDays
            ? "retention_usage_days (\(usageDays)) must not exceed retention_payment_days (\(paymentDays))" : nil
    }

    /// The cut-offs of one run at `nowMillis`: rows whose reference time is before a cut-off are past retention.
    public func cutoffs(nowMillis: Int64) -> Cutoffs {
        func before(_ days: Int) -> Int64 { nowMillis - Int64(days) * 86_400_000 }
        return Cutoffs(
            now: nowMillis, usage: before(usageDays), security: before(securityDays), support: before(supportDays),
            payment: before(paymentDays), audit: before(auditDays), erasedAccount: before(erasedAccountDays),
            rollupDay: Self.day(of: before(paymentDays)))
    }

    /// The UTC day number (days since 1970-01-01) of a time in Unix milliseconds.
    public static func day(of millis: Int64) -> Int64 {
        millis >= 0 ? millis / 86_400_000 : (millis - 86_399_999) / 86_400_000
    }

    /// Cut-off times of one retention run, Unix milliseconds.
    public struct Cutoffs: Sendable, Equatable {
        public var now: Int64
        public var usage: Int64
        public var security: Int64
        public var support: Int64
        public var payment: Int64
        public var audit: Int64
        public var erasedAccount: Int64
        /// Daily rollups of a day before this one are past the payment window.
        public var rollupDay: Int64
    }
}
