import Testing
import WharfCore
import WharfStorage

@Suite("Usage charges grouped per key")
struct UsageSettlementTests {
    func record(_ id: String, user: String, key: String, cost: Int64) -> UsageRecord {
        .forTest(id: id, userID: user, keyID: key, cost: cost)
    }

    @Test("Each user's key gets one entry, in order of first charge; free records name none")
    func groupsByUserAndKey() {
        var made = 0
        let (settlements, entries) = UsageSettlement.group([
            record("r1", user: "u1", key: "k1", cost: 5), record("r2", user: "u2", key: "k2", cost: 7),
            record("r3", user: "u1", key: "k1", cost: 0), record("r4", user: "u1", key: "k3", cost: 1),
            record("r5", user: "u1", key: "k1", cost: 11),
        ]) {
            made += 1
            return "e\(made)"
        }
        #expect(
            settlements == [
                UsageSettlement(entryID: "e1", userID: "u1", keyID: "k1", total: Money(micros: 16), requests: 2),
                UsageSettlement(entryID: "e2", userID: "u2", keyID: "k2", total: Money(micros: 7), requests: 1),
                UsageSettlement(entryID: "e3", userID: "u1", keyID: "k3", total: Money(micros: 1), requests: 1),
            ])
        #expect(entries == ["e1", "e2", nil, "e3", "e1"])
    }

    @Test("A batch that cost nothing makes no entry")
    func freeBatch() {
        let (settlements, entries) = UsageSettlement.group([record("r1", user: "u", key: "k", cost: 0)]) {
            Issue.record("no id should be made")
            return "x"
        }
        #expect(settlements.isEmpty)
        #expect(entries == [nil])
    }
}
