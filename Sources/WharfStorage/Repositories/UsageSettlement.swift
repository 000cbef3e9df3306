import WharfCore

/// The charge of one key's requests in one batch of the usage writer: a single `settle` ledger entry for their
/// summed cost, which every charged record of the batch names in `usage_records.ledger_entry_id`. One entry per key
/// per batch (instead of one per request) halves the rows a relayed request writes; the link keeps each entry
/// checkable against the records it settled (see ``WharfStore/verifyUsageSettlements()``).
public struct UsageSettlement: Sendable, Equatable {
    /// The id of the ledger entry.
    public var entryID: String
    public var userID: String
    public var keyID: String
    /// The sum of the settled records' costs (positive; the entry's amount is its negation).
    public var total: Money
    /// How many records the entry settles.
    public var requests: Int

    /// Creates a settlement.
    public init(entryID: String, userID: String, keyID: String, total: Money, requests: Int) {
        self.entryID = entryID
        self.userID = userID
        self.keyID = keyID
        self.total = total
        self.requests = requests
    }

    /// Groups the records that cost something by user and key, in order of first appearance, giving each group an
    /// entry id from `makeID`. Returns the groups and, per record (in order), the id of its entry, or nil for a
    /// record that cost nothing.
    public static func group(
        _ records: [UsageRecord], makeID: () -> String
    ) -> (settlements: [UsageSettlement], entryOfRecord: [String?]) {
        var settlements: [UsageSettlement] = []
        var index: [KeyOfUser: Int] = [:]
        var entryOfRecord: [String?] = []
        entryOfRecord.reserveCapacity(records.count)
        for record in records {
            guard record.cost.micros > 0 else {
                entryOfRecord.append(nil)
                continue
            }
            let owner = KeyOfUser(userID: record.userID, keyID: record.keyID)
            if let i = index[owner] {
                settlements[i].total = Money(micros: settlements[i].total.micros + record.cost.micros)
                settlements[i].requests += 1
                entryOfRecord.append(settlements[i].entryID)
            } else {
                let entry = UsageSettlement(
                    entryID: makeID(), userID: record.userID, keyID: record.keyID, total: record.cost, requests: 1)
                index[owner] = settlements.count
                settlements.append(entry)
                entryOfRecord.append(entry.entryID)
            }
        }
        return (settlements, entryOfRecord)
    }

    private struct KeyOfUser: Hashable {
        let userID: String
        let keyID: String
    }
}

/// A `settle` entry whose amount differs from the records linked to it, or records linked to no settle entry of
/// their own user and key.
public struct SettlementMismatch: Sendable, Equatable, CustomStringConvertible {
    /// The entry named by the records (it may not exist).
    public var entryID: String
    /// What the records linked to it cost in total.
    public var linkedCost: Money
    /// The entry's charge (the negation of its amount), or nil when no settle entry of the records' user and key has
    /// that id.
    public var charged: Money?

    /// Creates a mismatch.
    public init(entryID: String, linkedCost: Money, charged: Money?) {
        self.entryID = entryID
        self.linkedCost = linkedCost
        self.charged = charged
    }

    public var description: String {
        guard let charged else {
            return "usage records cost \(linkedCost) under \(entryID), which is no settle entry of their user and key"
        }
        return "settle entry \(entryID): charged \(charged) but its usage records cost \(linkedCost)"
    }
}
