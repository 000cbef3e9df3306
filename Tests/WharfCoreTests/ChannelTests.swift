import Testing
import WharfCore

@Suite("Channel")
struct ChannelTests {
    @Test("A public model name is sent upstream through the mapping, or unchanged when not mapped")
    func upstreamModel() {
        let channel = Channel(
            id: "chn_1", name: "azure", provider: .openaiCompatible, baseURL: "https://x.example/v1",
            models: ["gpt-4o", "gpt-4o-mini"], modelMapping: ["gpt-4o": "gpt-4o-2024-08-06"])
        #expect(channel.upstreamModel(for: "gpt-4o") == "gpt-4o-2024-08-06")
        #expect(channel.upstreamModel(for: "gpt-4o-mini") == "gpt-4o-mini")
    }

    @Test("A new channel defaults to enabled, priority 0, weight 1, retaining but not training")
    func defaults() {
        let channel = Channel(id: "chn_1", name: "c", provider: .openai, baseURL: "https://x", models: [])
        #expect(channel.status == .enabled)
        #expect(channel.priority == 0)
        #expect(channel.weight == 1)
        #expect(channel.region == "unknown")
        #expect(channel.dataPolicy == DataPolicy(retains: true, trains: false))
        #expect(channel.capabilities == ["chat", "completions", "embeddings"])
    }

    @Test("Provider kinds are stored by their wire names")
    func providerRawValues() {
        #expect(ProviderKind(rawValue: "openai-compatible") == .openaiCompatible)
        #expect(ProviderKind.allCases.map(\.rawValue) == ["openai", "openai-compatible", "anthropic", "gemini"])
    }
}
