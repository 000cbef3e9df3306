import Testing
import WharfCore

@Suite("Usage extractor")
struct UsageExtractorTests {
    static func usage(_ body: String) -> TokenUsage? { UsageExtractor.usage(inBody: Array(body.utf8)) }

    @Test("Reading in place refuses what is not one JSON object, and finds an escaped key")
    func inPlace() throws {
        for broken in ["", "[]", #"{"usage":{"prompt_tokens":1}"#, #"{"usage":{}} x"#, #"{"a":tru}"#] {
            #expect(throws: JSONScanError.self) {
                try Array(broken.utf8).withUnsafeBufferPointer { try UsageExtractor.usage(inBody: $0) }
            }
        }
        let escaped = #"{"us\u0061ge":{"prompt_tokens":4,"completion_tokens":1}}"#
        let usage = try Array(escaped.utf8).withUnsafeBufferPointer { try UsageExtractor.usage(inBody: $0) }
        #expect(usage == TokenUsage(promptTokens: 4, completionTokens: 1))
    }

    @Test("A chat completion's usage includes cached prompt tokens, whatever the message says")
    func chatCompletion() {
        let body =
            #"{"id":"chatcmpl-1","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","#
            + #""content":"{\"usage\":{\"prompt_tokens\":1}}"},"finish_reason":"stop"}],"#
            + #""usage":{"prompt_tokens":19,"completion_tokens":10,"total_tokens":29,"#
            + #""prompt_tokens_details":{"cached_tokens":3,"audio_tokens":0},"#
            + #""completion_tokens_details":{"reasoning_tokens":4}}}"#
        #expect(Self.usage(body) == TokenUsage(promptTokens: 19, completionTokens: 10, cachedTokens: 3))
    }

    @Test("An embeddings response has prompt tokens and no completion tokens")
    func embeddings() {
        let body =
            #"{"object":"list","data":[{"object":"embedding","index":0,"embedding":[0.1,-0.2,3e-4]}],"#
            + #""model":"text-embedding-3-small","usage":{"prompt_tokens":8,"total_tokens":8}}"#
        #expect(Self.usage(body) == TokenUsage(promptTokens: 8, completionTokens: 0, cachedTokens: 0))
    }

    @Test("A responses-API body reports input and output tokens, with cached input tokens")
    func responsesBody() {
        let body =
            #"{"id":"resp_1","object":"response","status":"completed","output":[],"usage":{"input_tokens":21,"#
            + #""input_tokens_details":{"cached_tokens":5},"output_tokens":3,"#
            + #""output_tokens_details":{"reasoning_tokens":1},"total_tokens":24}}"#
        #expect(Self.usage(body) == TokenUsage(promptTokens: 21, completionTokens: 3, cachedTokens: 5))
    }

    @Test("The response.completed event holds its usage inside the response member")
    func responsesCompletedEvent() {
        let body =
            #"{"type":"response.completed","sequence_number":9,"response":{"id":"resp_1","usage":"#
            + #"{"input_tokens":7,"output_tokens":2}}}"#
        #expect(Self.usage(body) == TokenUsage(promptTokens: 7, completionTokens: 2, cachedTokens: 0))
    }

    @Test(
        "A body without a usable usage object has no usage",
        arguments: [
            #"{"id":"x","choices":[]}"#, #"{"usage":null}"#, #"{"usage":"12"}"#, #"{"usage":[1,2]}"#,
            #"{"response":{"usage":null}}"#, #"{"response":null}"#, "not json", "", #"{"usage":{"prompt_tokens":"x"}}"#,
        ]
    )
    func noUsage(body: String) {
        #expect(Self.usage(body) == nil)
    }

    @Test("Missing counts in a usage object are zero, and null details are no cached tokens")
    func partialUsageObject() {
        #expect(
            UsageExtractor.decode(Array(#"{"prompt_tokens":4}"#.utf8))
                == TokenUsage(promptTokens: 4, completionTokens: 0, cachedTokens: 0))
        #expect(
            UsageExtractor.decode(
                Array(#"{"prompt_tokens":4,"completion_tokens":1,"prompt_tokens_details":null}"#.utf8))
                == TokenUsage(promptTokens: 4, completionTokens: 1, cachedTokens: 0))
        #expect(UsageExtractor.decode(Array("nope".utf8)) == nil)
    }

    @Test("Chat field names win over responses field names when both are present")
    func chatNamesFirst() {
        let object = #"{"prompt_tokens":1,"input_tokens":100,"completion_tokens":2,"output_tokens":200}"#
        #expect(
            UsageExtractor.decode(Array(object.utf8))
                == TokenUsage(promptTokens: 1, completionTokens: 2, cachedTokens: 0))
    }

    @Test(
        "A count that is not a whole number in range makes the usage unreadable (the estimate is billed), never 0",
        arguments: [
            #"{"usage":{"prompt_tokens":10,"completion_tokens":57.0}}"#,
            #"{"usage":{"prompt_tokens":10,"completion_tokens":"57"}}"#,
            #"{"usage":{"prompt_tokens":10,"completion_tokens":9223372036854775807}}"#,
            #"{"usage":{"prompt_tokens":-1,"completion_tokens":5}}"#,
        ]
    )
    func unreadableCounts(body: String) {
        #expect(Self.usage(body) == nil)
    }
}
