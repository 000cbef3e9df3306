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
}
