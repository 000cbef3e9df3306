/// The kinds of ledger entry. Every balance change is one or more entries written in the same transaction as
/// the balance, so that `balance == sum(entries.amount)` always holds.
public enum LedgerEntryKind: String, Sendable, CaseIterable, Codable {
    /// Credit given by an operator (positive).
    case grant
    /// Credit bought by the user through a payment gateway (positive); one per paid order.
    case topup
    /// Credit from a redemption code (positive); one per code.
    case redeem
    /// Money reserved for a request in flight (negative).
    case hold
    /// The final charge of a request (negative), or the settlement of a hold (hold − cost, non-negative).
    case settle
    /// A hold returned unused (positive).
    case release
    /// Credit taken back because the payment that bought it was refunded (negative; may take the balance below
    /// zero when the credit was already spent, which refuses new requests until the account is settled).
    case refund
    /// Credit held back for a payment dispute (negative), or restored when the dispute is won (positive).
    case chargeback
    /// A manual correction with a reason (either sign).
    case adjustment
    /// The sum of an account's entries that passed the payment retention and were removed (either sign); keeps
    /// balance = Σ entries true after the retention job.
    case carried
}
