import Foundation
import Testing
import WharfCore
import WharfStorage

@Suite("Accounts, keys, channels and prices")
struct AccountsKeysChannelsTests {
    @Test("Emails are unique whatever their case", arguments: Backend.available)
    func emailUniqueCaseInsensitive(backend: Backend) async throws {
        try await TestDatabase.with(backend) { t in
            _ = try await t.store.makeUser("Alice@Example.com")
            await #expect(throws: StoreError.self) { _ = try await t.store.makeUser("alice@EXAMPLE.com") }
            #expect(try await t.store.user(email: "ALICE@example.COM")?.email == "Alice@Example.com")
        }
    }

    @Test(
        "A key is stored only as a hash and a prefix; revoking it removes it from the active set",
        arguments: Backend.available)
    func keysStoredAsHashes(backend: Backend) async throws {
        try await TestDatabase.with(backend) { t in
            let user = try await t.store.makeUser("gina@example.com")
            let policy = KeyPolicy(
                allowedModels: ["gpt-4o"], allowedIPs: [IPRange("10.0.0.0/8")!], spendLimit: Money(micros: 5))
            let (record, secret) = try await t.store.createKey(userID: user.id, name: "ci", policy: policy)
            #expect(secret.value.hasPrefix("sk-") && secret.value.count >= 43)
            #expect(record.keyHash == KeyHasher.hash(secret.value))
            let active = try await t.store.activeKeys()
            #expect(active.map(\.id) == [record.id])
            #expect(active.first?.policy == policy)
            let before = try await t.store.versions()
            #expect(try await t.store.keysChanged(since: 0).map(\.key.id) == [record.id])
            try await t.store.revokeKey(id: record.id)
            #expect(try await t.store.activeKeys().isEmpty)
            let after = try await t.store.versions()
            #expect(after.keys == before.keys + 1, "a key change bumps the keys version")
            #expect(after.config == before.config, "and not the whole configuration's")
            let changed = try await t.store.keysChanged(since: before.keys)
            #expect(changed.map(\.key.id) == [record.id] && changed.first?.key.status == .revoked)
            #expect(try await t.store.keysChanged(since: after.keys).isEmpty)
        }
    }

    @Test("A channel's upstream key is encrypted at rest and opens only for its own row", arguments: Backend.available)
    func channelKeyEncrypted(backend: Backend) async throws {
        try await TestDatabase.with(backend) { t in
            let channel = Channel(
                id: "chn_a", name: "a", provider: .openai, baseURL: "https://api.example.com/v1", models: ["m1", "m2"],
                modelMapping: ["m1": "upstream-m1"], priority: 2, weight: 3, region: "eu",
                dataPolicy: DataPolicy(retains: false, trains: false))
            try await t.store.addChannel(channel, apiKey: "upstream-secret-XYZ")
            let opened = try await t.store.enabledChannelsWithSecrets()
            #expect(opened.count == 1)
            #expect(opened.first?.apiKey == "upstream-secret-XYZ")
            #expect(opened.first?.channel == channel)
            // The stored value is sealed and bound to the row: it does not open as another channel's key.
            let sealed = try await t.database.withConnection { db in
                try await db.raw("SELECT api_key_ciphertext FROM channels").first()?.decode(
                    column: "api_key_ciphertext", as: String.self)
            }
            let text = try #require(sealed)
            #expect(text.hasPrefix("v1:") && !text.contains("upstream-secret"))
            #expect(throws: (any Error).self) { try t.store.secrets.open(text, context: "channels/chn_b/api_key") }
            await #expect(throws: StoreError.self) { try await t.store.addChannel(channel, apiKey: "k") }
            try await t.store.setChannelStatus("a", .disabled)
            #expect(try await t.store.enabledChannelsWithSecrets().isEmpty)
        }
    }

    @Test("Neither a channel key nor an API key secret appears anywhere in the SQLite files")
    func rawFileHoldsNoSecrets() async throws {
        try await TestDatabase.with(.sqlite) { t in
            let user = try await t.store.makeUser("hank@example.com")
            let (_, secret) = try await t.store.createKey(userID: user.id, name: "k")
            try await t.store.addChannel(
                Channel(id: "chn_s", name: "s", provider: .openai, baseURL: "https://x.example/v1", models: ["m"]),
                apiKey: "sk-upstream-PLAINTEXT-123456")
            let path = try #require(t.sqlitePath)
            for file in [path, path + "-wal", path + "-shm"] {
                guard let data = FileManager.default.contents(atPath: file) else { continue }
                #expect(data.range(of: Data("sk-upstream-PLAINTEXT-123456".utf8)) == nil, "channel key in \(file)")
                #expect(data.range(of: Data(secret.value.utf8)) == nil, "API key secret in \(file)")
            }
        }
    }

    @Test("Prices are stored per model and every change bumps the configuration version", arguments: Backend.available)
    func pricesAndConfigVersion(backend: Backend) async throws {
        try await TestDatabase.with(backend) { t in
            let v0 = try await t.store.configVersion()
            let price = ModelPrice(inputPerMillion: Money(micros: 150_000), outputPerMillion: Money(micros: 600_000))
            try await t.store.setPrice(model: "gpt-4o-mini", price: price)
            try await t.store.setPrice(model: "gpt-4o-mini", price: price)
            #expect(try await t.store.prices() == ["gpt-4o-mini": price])
            #expect(try await t.store.configVersion() == v0 + 2)
        }
    }
}
