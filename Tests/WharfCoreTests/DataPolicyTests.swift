import Testing
import WharfCore

@Suite("Data policy")
struct DataPolicyTests {
    @Test(
        "A policy is stored as two tags and read back unchanged",
        arguments: [
            (false, false, "zero-retention,no-training"),
            (true, false, "retains,no-training"),
            (false, true, "zero-retention,trains"),
            (true, true, "retains,trains"),
        ]
    )
    func roundTrip(retains: Bool, trains: Bool, tags: String) {
        let policy = DataPolicy(retains: retains, trains: trains)
        #expect(policy.tags == tags)
        #expect(DataPolicy(tags: tags) == policy)
    }

    @Test(
        "Reading tags ignores unknown ones and assumes the cautious default for missing ones",
        arguments: [
            ("", true, true),
            ("zero-retention", false, true),
            ("no-training", true, false),
            (" no-training , zero-retention ", false, false),
            ("no-training,eu-only,soc2", true, false),
            ("ZERO-RETENTION", true, true),
            ("zero-retention;no-training", true, true),
        ]
    )
    func parsesTags(tags: String, retains: Bool, trains: Bool) {
        #expect(DataPolicy(tags: tags) == DataPolicy(retains: retains, trains: trains))
    }
}
