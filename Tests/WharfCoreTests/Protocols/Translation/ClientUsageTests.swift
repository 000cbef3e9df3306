import Testing

@testable import WharfCore

@Suite("Client usage re-encoding")
struct ClientUsageTests {
    /// Usage objects from each upstream dialect.
    static let upstreamUsages: [(Dialect, String)] = [
        (
            .anthropicMessages,
            #"{"input_tokens":12,"cache_creation_input_tokens":0,"cache_read_input_tokens":2048,"output_tokens":9}"#
        ),
        (
            .anthropicMessages,
            #"{"input_tokens":849,"cache_creation_input_tokens":1000,"cache_read_input_tokens":5,"output_tokens":47}"#
        ),
        (
            .openAIChat,
            #"{"prompt_tokens":91,"completion_tokens":34,"total_tokens":125,"prompt_tokens_details":{"cached_tokens":64}}"#
        ),
        (.gemini, #"{"promptTokenCount":9,"candidatesTokenCount":29,"totalTokenCount":294,"thoughtsTokenCount":256}"#),
        (
            .gemini,
            #"{"promptTokenCount":12,"cachedContentTokenCount":4,"candidatesTokenCount":71,"toolUsePromptTokenCount":65,"thoughtsTokenCount":89,"totalTokenCount":237}"#
        ),
    ]

    @Test("Re-encoded for OpenAI clients, prompt plus completion equals total for every upstream dialect")
    func openAIInvariant() throws {
        for (dialect, json) in Self.upstreamUsages {
            let usage = try #require(UsageNormalizer.usage(try JSONValue.parse(Array(json.utf8)), dialect: dialect))
            let encoded = ClientUsage.openAI(usage)
            let prompt = try #require(encoded["prompt_tokens"]?.integer)
            let completion = try #require(encoded["completion_tokens"]?.integer)
            #expect(prompt + completion == encoded["total_tokens"]?.integer)
            if dialect == .gemini, let total = try JSONValue.parse(Array(json.utf8))["totalTokenCount"]?.integer {
                #expect(prompt + completion == total)
            }
        }
    }

    @Test("Re-encoded for Anthropic clients, the input buckets add up to the whole prompt")
    func anthropicBuckets() throws {
        for (dialect, json) in Self.upstreamUsages {
            let usage = try #require(UsageNormalizer.usage(try JSONValue.parse(Array(json.utf8)), dialect: dialect))
            let encoded = ClientUsage.anthropic(usage)
            let input = try #require(encoded["input_tokens"]?.integer)
            let read = try #require(encoded["cache_read_input_tokens"]?.integer)
            let written = try #require(encoded["cache_creation_input_tokens"]?.integer)
            #expect(input + read + written == usage.promptTokens)
            #expect(encoded["output_tokens"]?.integer == usage.completionTokens)
        }
    }

    @Test("Cache writes appear in OpenAI usage only when there are some")
    func cacheWriteTokens() {
        let none = ClientUsage.openAI(TokenUsage(promptTokens: 10, completionTokens: 2, cachedTokens: 4))
        #expect(none["prompt_tokens_details"]?["cache_write_tokens"] == nil)
        let some = ClientUsage.openAI(TokenUsage(promptTokens: 10, completionTokens: 2, cacheWriteTokens: 3))
        #expect(some["prompt_tokens_details"]?["cache_write_tokens"]?.integer == 3)
    }
}
