import Testing
import WharfCore

@Suite("Identifiers")
struct WharfIDTests {
    @Test(
        "An identifier is its type prefix, an underscore and 20 base-36 characters", arguments: ["usr", "key", "chn"])
    func shape(prefix: String) {
        let id = WharfID.make(prefix)
        #expect(id.hasPrefix(prefix + "_"))
        #expect(id.count == prefix.count + 21)
        #expect(id.dropFirst(prefix.count + 1).allSatisfy { $0.isASCII && ($0.isLowercase || $0.isNumber) })
    }

    @Test("Identifiers do not repeat")
    func unique() {
        let ids = (0..<1_000).map { _ in WharfID.make("req") }
        #expect(Set(ids).count == ids.count)
    }

    @Test("Time-ordered identifiers sort by their time, then differ by their random part")
    func timeOrdered() {
        let early = WharfID.timeOrdered("req", nowMillis: 1_700_000_000_000)
        let later = WharfID.timeOrdered("req", nowMillis: 1_700_000_000_001)
        let muchLater = WharfID.timeOrdered("req", nowMillis: 1_800_000_000_000)
        #expect(early.count == 4 + 21)
        #expect(early < later && later < muchLater)
        #expect(early.dropFirst(4).allSatisfy { $0.isASCII && ($0.isLowercase || $0.isNumber) })
        let same = (0..<1_000).map { _ in WharfID.timeOrdered("led", nowMillis: 42) }
        #expect(Set(same).count == same.count)
        #expect(same.allSatisfy { $0.hasPrefix("led_000000016") })
    }
}
