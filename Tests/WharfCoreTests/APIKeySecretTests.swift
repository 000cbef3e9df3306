import Testing
import WharfCore
import WharfTestSupport

@Suite("API key secrets")
struct APIKeySecretTests {
    static let base62 = Set("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")

    @Test("A generated secret is sk- and 48 base-62 characters")
    func shape() {
        let secret = APIKeySecret.generate()
        #expect(secret.value.hasPrefix("sk-"))
        #expect(secret.value.utf8.count == 51)
        #expect(secret.value.count == 51)
        #expect(secret.value.dropFirst(3).allSatisfy { Self.base62.contains($0) })
        #expect(APIKeySecret.randomLength == 48)
    }

    @Test("Two generated secrets differ")
    func unique() {
        let secrets = (0..<100).map { _ in APIKeySecret.generate().value }
        #expect(Set(secrets).count == secrets.count)
    }

    @Test("The same random source gives the same secret; different sources give different ones")
    func injectedRandomness() {
        var a = SplitMix64(seed: 1)
        var b = SplitMix64(seed: 1)
        var c = SplitMix64(seed: 2)
        let first = APIKeySecret(using: &a)
        #expect(first.value == APIKeySecret(using: &b).value)
        #expect(first.value != APIKeySecret(using: &c).value)
    }

    @Test("Over many secrets every one of the 62 characters is used, and nothing else")
    func usesWholeAlphabet() {
        var rng = SplitMix64(seed: 62)
        var seen = Set<Character>()
        for _ in 0..<200 { seen.formUnion(APIKeySecret(using: &rng).value.dropFirst(3)) }
        #expect(seen == Self.base62)
    }

    @Test("A secret never prints: its description shows only the display prefix")
    func redacted() {
        let secret = APIKeySecret.generate()
        let printed = [secret.description, "\(secret)", String(describing: secret)]
        for text in printed {
            #expect(!text.contains(secret.value))
            #expect(!text.contains(secret.value.dropFirst(9)))
            #expect(text.contains("[REDACTED]"))
            #expect(text.hasPrefix(secret.displayPrefix))
        }
        #expect(secret.displayPrefix.count == 9)
        #expect(secret.value.hasPrefix(secret.displayPrefix))
    }

    @Test(
        "A text looks like a key when it starts with sk- and has a plausible length",
        arguments: [
            ("sk-" + String(repeating: "a", count: 48), true),
            ("sk-" + String(repeating: "a", count: 40), true),
            ("sk-" + String(repeating: "a", count: 39), false),
            ("sk-" + String(repeating: "a", count: 197), true),
            ("sk-" + String(repeating: "a", count: 198), false),
            ("pk-" + String(repeating: "a", count: 48), false),
            ("SK-" + String(repeating: "a", count: 48), false),
            ("", false),
        ]
    )
    func looksValid(text: String, valid: Bool) {
        #expect(APIKeySecret.looksValid(Substring(text)) == valid)
    }

    @Test("A generated secret looks valid")
    func generatedLooksValid() {
        #expect(APIKeySecret.looksValid(Substring(APIKeySecret.generate().value)))
    }
}
