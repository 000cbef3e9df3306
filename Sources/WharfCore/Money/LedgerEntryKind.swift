/// The kinds of ledger entry. Every balance change is one or more entries written in the same transaction as
/// the balance, so that `balance == sum(entries.amount)` always holds.
public enum LedgerEntryKind: String, Sendable, CaseIterable, Codable {
    /// Credit given by an operator (positive).
    case grant
    /// Credit bought by the user (positive).
    case topup
    /// Money reserved for a request in flight (negative).
    case hold
    /// The final charge of a request (negative), or the settlement of a hold (hold − cost, non-negative).
    case settle
    /// A hold returned unused (positive).
    case release
    /// Money returned to the user (positive).
    case refund
    /// A manual correction with a reason (either sign).
    case adjustment
}
