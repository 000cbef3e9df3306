import Testing
import WharfCore

@Suite("Transfer constraints")
struct TransferConstraintsTests {
    static func channel(region: String, retains: Bool) -> Channel {
        Channel(
            id: "chn_1", name: "c", provider: .openai, baseURL: "https://api.example.com/v1", models: ["m"],
            region: region, dataPolicy: DataPolicy(retains: retains, trains: false))
    }

    @Test(
        "A channel is allowed only in an allowed region and, when required, with zero retention",
        arguments: [
            (TransferConstraints.none, "us", true, true),
            (TransferConstraints(), "unknown", true, true),
            (TransferConstraints(regions: ["eu"]), "eu", true, true),
            (TransferConstraints(regions: ["eu"]), "us", false, false),
            (TransferConstraints(regions: ["eu", "ch"]), "ch", false, true),
            (TransferConstraints(regions: ["eu"]), "EU", false, true),
            (TransferConstraints(regions: ["eu"]), "", false, false),
            (TransferConstraints(requireZeroRetention: true), "us", true, false),
            (TransferConstraints(requireZeroRetention: true), "us", false, true),
            (TransferConstraints(regions: ["eu"], requireZeroRetention: true), "eu", true, false),
            (TransferConstraints(regions: ["eu"], requireZeroRetention: true), "eu", false, true),
            (TransferConstraints(regions: ["eu"], requireZeroRetention: true), "us", false, false),
        ] as [(TransferConstraints, String, Bool, Bool)]
    )
    func allows(constraints: TransferConstraints, region: String, retains: Bool, allowed: Bool) {
        #expect(constraints.allows(Self.channel(region: region, retains: retains)) == allowed)
    }
}
