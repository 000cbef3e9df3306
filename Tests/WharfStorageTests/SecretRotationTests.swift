import Foundation
import Testing
import WharfCore
import WharfStorage

/// `wharf secrets rotate` (promise P4): every stored secret is re-sealed under the primary key, so an old key can be
/// dropped from the ring without losing anything.
@Suite("Secret rotation: re-seal under the primary key")
struct SecretRotationTests {
    static let keyA: [UInt8] = (0..<32).map { UInt8($0 * 3 % 256) }
    static let keyB: [UInt8] = (0..<32).map { UInt8(255 - $0) }

    /// One secret of every kind, sealed under `store`'s primary key; returns the user and gateway ids.
    static func sealEverything(_ store: WharfStore) async throws -> (user: String, gateway: String) {
        let user = try await store.makeUser("rotate@example.com")
        try await store.addChannel(
            Channel(id: "chn_rot", name: "rot", provider: .openai, baseURL: "https://x.example/v1", models: ["m"]),
            apiKey: "sk-upstream-rotate")
        let gateway = PaymentGatewayRecord(
            id: WharfID.make("pgw"), name: "stripe-rot", kind: "stripe", gatewayURL: "https://pay.example.com",
            merchantID: nil, currency: "USD", creditPerUnit: Money(micros: 1_000_000), methods: ["card"],
            minAmount: nil, maxAmount: nil)
        try await store.addPaymentGateway(
            gateway, secrets: PaymentGatewaySecrets(key: "sk_live_gateway", webhookSecret: "whsec_rotate"))
        try await store.stageTwoFactorSecret(userID: user.id, secret: "JBSWY3DPEHPK3PXP")
        try await store.enqueueMail(userID: user.id, kind: "notice", recipient: "rotate@example.com", message: "hello")
        return (user.id, gateway.id)
    }

    @Test(
        "Secrets sealed under key B, rotated with ring [A, B], open with ring [A] alone", arguments: Backend.available)
    func rotateThenDropOldKey(backend: Backend) async throws {
        try await TestDatabase.with(backend) { t in
            let onB = WharfStore(database: t.database, secrets: try SecretBox(keys: [Self.keyB]))
            let ids = try await Self.sealEverything(onB)
            let onlyA = WharfStore(database: t.database, secrets: try SecretBox(keys: [Self.keyA]))
            await #expect(throws: SecretBoxError.self) { try await onlyA.enabledChannelsWithSecrets() }

            let both = WharfStore(database: t.database, secrets: try SecretBox(keys: [Self.keyA, Self.keyB]))
            let results = try await both.rotateSecrets()
            #expect(results.map(\.column) == SealedColumn.all.map(\.name))
            #expect(results.allSatisfy { $0.resealed == 1 && $0.remainingOnOtherKeys == 0 && $0.problems.isEmpty })

            #expect(try await onlyA.enabledChannelsWithSecrets().first?.apiKey == "sk-upstream-rotate")
            let gateway = try await onlyA.paymentGatewaySecrets(id: ids.gateway)
            #expect(gateway.key == "sk_live_gateway" && gateway.webhookSecret == "whsec_rotate")
            #expect(try await onlyA.twoFactorSecret(userID: ids.user) == "JBSWY3DPEHPK3PXP")
            let mail = try await onlyA.dueMail()
            #expect(mail.map(\.recipient) == ["rotate@example.com"] && mail.map(\.message) == ["hello"])

            // A second run finds nothing left to do.
            let again = try await both.rotateSecrets()
            #expect(again.allSatisfy { $0.resealed == 0 && $0.alreadyPrimary == 1 && $0.remainingOnOtherKeys == 0 })
        }
    }

    @Test("Values under a key missing from the ring are reported as remaining, not lost", arguments: Backend.available)
    func missingKeyReported(backend: Backend) async throws {
        try await TestDatabase.with(backend) { t in
            let onB = WharfStore(database: t.database, secrets: try SecretBox(keys: [Self.keyB]))
            _ = try await Self.sealEverything(onB)
            let onlyA = WharfStore(database: t.database, secrets: try SecretBox(keys: [Self.keyA]))
            let results = try await onlyA.rotateSecrets()
            #expect(results.allSatisfy { $0.resealed == 0 && $0.remainingOnOtherKeys == 1 })
            let channel = try #require(results.first)
            #expect(channel.problems.first?.contains("not configured") == true)
            // Still there for a ring that has key B.
            #expect(try await onB.enabledChannelsWithSecrets().first?.apiKey == "sk-upstream-rotate")
        }
    }
}
