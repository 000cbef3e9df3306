import Foundation
import Testing

@testable import WharfCore

/// Golden server-sent-event streams, as upstream providers send them.
enum StreamFixture {
    static let header =
        #""id":"chatcmpl-9","object":"chat.completion.chunk","created":1718000000,"model":"gpt-4o-mini""#

    /// One chat completion chunk event.
    static func chunk(choices: String, usage: String = "null") -> String {
        "data: {" + header + #","system_fingerprint":"fp_1","choices":"# + choices + #","usage":"# + usage + "}\n\n"
    }

    static func content(_ text: String) -> String {
        chunk(choices: #"[{"index":0,"delta":{"content":""# + text + #""},"logprobs":null,"finish_reason":null}]"#)
    }

    static let contents = ["Hello", ", world", "! {data: [DONE]}."]
    static let contentBytes = contents.reduce(0) { $0 + $1.utf8.count }

    static let role = chunk(
        choices: #"[{"index":0,"delta":{"role":"assistant","content":""},"logprobs":null,"finish_reason":null}]"#)
    static let finish = chunk(choices: #"[{"index":0,"delta":{},"logprobs":null,"finish_reason":"stop"}]"#)
    static let usageJSON =
        #"{"prompt_tokens":12,"completion_tokens":5,"total_tokens":17,"prompt_tokens_details":{"cached_tokens":2},"#
        + #""completion_tokens_details":{"reasoning_tokens":0}}"#
    static let usageChunk = chunk(choices: "[]", usage: usageJSON)
    static let done = "data: [DONE]\n\n"
    static let usage = TokenUsage(promptTokens: 12, completionTokens: 5, cachedTokens: 2)

    /// The chat stream as events: role, three contents, finish, usage-only chunk, [DONE].
    static let chatEvents = [role] + contents.map(content) + [finish, usageChunk, done]
    static let usageIndex = 5

    static func bytes(_ events: [String], crlf: Bool = false) -> [UInt8] {
        let text = events.joined()
        return Array((crlf ? text.replacingOccurrences(of: "\n", with: "\r\n") : text).utf8)
    }

    static let chat = bytes(chatEvents)
    static let chatWithoutUsage = bytes(chatEvents.enumerated().filter { $0.offset != usageIndex }.map(\.element))

    /// A responses-API stream: named events, usage inside `response.completed`, no [DONE].
    static let responsesEvents = [
        "event: response.created\n"
            + #"data: {"type":"response.created","sequence_number":0,"response":{"id":"resp_1","object":"response","#
            + #""status":"in_progress","output":[],"usage":null}}"# + "\n\n",
        "event: response.output_text.delta\n"
            + #"data: {"type":"response.output_text.delta","sequence_number":4,"item_id":"msg_1","output_index":0,"#
            + #""content_index":0,"delta":"Hi"}"# + "\n\n",
        "event: response.output_text.delta\n"
            + #"data: {"type":"response.output_text.delta","sequence_number":5,"item_id":"msg_1","output_index":0,"#
            + #""content_index":0,"delta":" there"}"# + "\n\n",
        "event: response.completed\n"
            + #"data: {"type":"response.completed","sequence_number":9,"response":{"id":"resp_1","#
            + #""object":"response","status":"completed","output":[{"type":"message","id":"msg_1","#
            + #""role":"assistant","content":[{"type":"output_text","text":"Hi there","annotations":[]}]}],"#
            + #""usage":{"input_tokens":21,"input_tokens_details":{"cached_tokens":4},"output_tokens":3,"#
            + #""output_tokens_details":{"reasoning_tokens":0},"total_tokens":24}}}"# + "\n\n",
    ]
}

@Suite("SSE stream meter")
struct SSEStreamMeterTests {
    /// Feeds `chunks` through a fresh meter and returns it with everything it forwarded, `finish()` included.
    static func run(_ chunks: [ArraySlice<UInt8>], strip: Bool) -> (meter: SSEStreamMeter, output: [UInt8]) {
        var meter = SSEStreamMeter(stripUsageChunk: strip)
        var output: [UInt8] = []
        for chunk in chunks { output += meter.consume(Array(chunk)) }
        output += meter.finish()
        return (meter, output)
    }

    static func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }

    /// Checks one run of the golden chat stream (LF or CRLF) split into `chunks`.
    static func checkChat(_ chunks: [ArraySlice<UInt8>], strip: Bool, crlf: Bool, _ label: String) {
        let input = StreamFixture.bytes(StreamFixture.chatEvents, crlf: crlf)
        let (meter, output) = run(chunks, strip: strip)
        let expected =
            strip
            ? StreamFixture.bytes(
                StreamFixture.chatEvents.enumerated().filter { $0.offset != StreamFixture.usageIndex }.map(\.element),
                crlf: crlf)
            : input
        #expect(text(output) == text(expected), "\(label)")
        #expect(meter.usage == StreamFixture.usage, "\(label)")
        #expect(meter.sawDone, "\(label)")
        #expect(meter.sawData, "\(label)")
        #expect(meter.textBytes == StreamFixture.contentBytes, "\(label)")
        #expect(meter.forwardedBytes == expected.count, "\(label)")
    }

    static func split(_ bytes: [UInt8], at points: [Int]) -> [ArraySlice<UInt8>] {
        var chunks: [ArraySlice<UInt8>] = []
        var start = 0
        for point in points {
            chunks.append(bytes[start..<point])
            start = point
        }
        chunks.append(bytes[start...])
        return chunks
    }

    @Test(
        "Every two-chunk split of the chat stream reads usage, and strips exactly the usage event when asked",
        arguments: [(true, false), (false, false), (true, true), (false, true)]
    )
    func everyTwoChunkSplit(strip: Bool, crlf: Bool) {
        let bytes = StreamFixture.bytes(StreamFixture.chatEvents, crlf: crlf)
        for k in 0...bytes.count {
            Self.checkChat(Self.split(bytes, at: [k]), strip: strip, crlf: crlf, "split at \(k)")
        }
    }

    @Test(
        "Three-chunk splits, including around the usage event's boundaries, give the same result",
        arguments: [true, false])
    func threeChunkSplits(strip: Bool) {
        let bytes = StreamFixture.chat
        let usageStart = StreamFixture.bytes(Array(StreamFixture.chatEvents[..<StreamFixture.usageIndex])).count
        let usageEnd = usageStart + StreamFixture.usageChunk.utf8.count
        var pairs: [(Int, Int)] = []
        for i in stride(from: 0, through: bytes.count, by: 17) {
            for j in stride(from: i, through: bytes.count, by: 23) { pairs.append((i, j)) }
        }
        let edges = [usageStart - 2, usageStart - 1, usageStart, usageStart + 1, usageStart + 6]
        for i in edges {
            for j in [usageEnd - 2, usageEnd - 1, usageEnd, usageEnd + 1, bytes.count] { pairs.append((i, j)) }
        }
        for (i, j) in pairs {
            Self.checkChat(Self.split(bytes, at: [i, j]), strip: strip, crlf: false, "split at \(i), \(j)")
        }
    }

    @Test("One-byte chunks, with empty chunks in between, give the same result", arguments: [true, false])
    func oneByteChunks(strip: Bool) {
        for crlf in [false, true] {
            let bytes = StreamFixture.bytes(StreamFixture.chatEvents, crlf: crlf)
            var chunks: [ArraySlice<UInt8>] = []
            for i in bytes.indices {
                chunks.append(bytes[i..<i + 1])
                if i % 50 == 0 { chunks.append([]) }
            }
            Self.checkChat(chunks, strip: strip, crlf: crlf, "one-byte chunks, crlf: \(crlf)")
        }
    }

    @Test("Without stripping, each chunk is forwarded at once exactly as it arrived")
    func passThroughIsImmediate() {
        let bytes = StreamFixture.chat
        var meter = SSEStreamMeter(stripUsageChunk: false)
        for chunk in Self.split(bytes, at: Array(stride(from: 7, to: bytes.count, by: 7))) {
            #expect(meter.consume(Array(chunk)) == Array(chunk))
        }
        #expect(meter.finish().isEmpty)
        #expect(meter.forwardedBytes == bytes.count)
    }

    @Test("With stripping, complete events go out at once and only an incomplete one waits")
    func strippingForwardsCompleteEvents() {
        var meter = SSEStreamMeter(stripUsageChunk: true)
        for (index, event) in StreamFixture.chatEvents.enumerated() {
            let out = meter.consume(Array(event.utf8))
            #expect(Self.text(out) == (index == StreamFixture.usageIndex ? "" : event), "event \(index)")
        }
        let first = Array(StreamFixture.role.utf8)
        var halves = SSEStreamMeter(stripUsageChunk: true)
        #expect(halves.consume(Array(first[..<40])).isEmpty)
        #expect(halves.consume(Array(first[40...])) == first)
    }

    @Test("A usage chunk that still carries choices is read but not stripped")
    func usageWithChoicesIsKept() {
        let event = StreamFixture.chunk(
            choices: #"[{"index":0,"delta":{},"finish_reason":"stop"}]"#, usage: StreamFixture.usageJSON)
        let (meter, output) = Self.run([ArraySlice(Array(event.utf8))], strip: true)
        #expect(Self.text(output) == event)
        #expect(meter.usage == StreamFixture.usage)
    }

    @Test("An empty choices array with spaces inside still marks the usage-only chunk")
    func spacedEmptyChoices() {
        let event = StreamFixture.chunk(choices: "[ \t ]", usage: StreamFixture.usageJSON)
        let stream = StreamFixture.content("a") + event + StreamFixture.done
        let (meter, output) = Self.run([ArraySlice(Array(stream.utf8))], strip: true)
        #expect(Self.text(output) == StreamFixture.content("a") + StreamFixture.done)
        #expect(meter.usage == StreamFixture.usage)
    }

    @Test("Comments and events without data pass through untouched")
    func commentsPassThrough() {
        let stream =
            ": keep-alive\n\n" + "event: ping\n\n" + StreamFixture.content("x") + "retry: 100\n\n"
            + StreamFixture.usageChunk + StreamFixture.done
        let (meter, output) = Self.run([ArraySlice(Array(stream.utf8))], strip: true)
        #expect(Self.text(output) == stream.replacingOccurrences(of: StreamFixture.usageChunk, with: ""))
        #expect(meter.textBytes == 1)
    }

    @Test("A stream cut mid-way bills the prompt estimate and the delivered text at one token per 4 bytes")
    func cutStreamUsesEstimate() {
        // Role chunk, the "Hello" chunk, then the start of the next chunk (before its content): 5 text bytes.
        let whole = StreamFixture.role + StreamFixture.content("Hello")
        let partial = String(StreamFixture.content(", world").prefix(30))
        let cut = Array((whole + partial).utf8)
        for strip in [true, false] {
            for k in [1, whole.utf8.count - 1, whole.utf8.count, cut.count - 1] {
                let (meter, output) = Self.run(Self.split(cut, at: [k]), strip: strip)
                #expect(output == cut, "strip: \(strip), split at \(k)")
                #expect(meter.usage == nil)
                #expect(!meter.sawDone)
                #expect(meter.textBytes == 5)
                #expect(
                    meter.billableUsage(estimatedPromptTokens: 40)
                        == TokenUsage(promptTokens: 40, completionTokens: 2, cachedTokens: 0))
                #expect(meter.forwardedBytes == cut.count)
            }
        }
    }

    @Test("A finished stream whose upstream sent no usage is billed by the estimate, rounded up")
    func noUsageChunk() {
        let (meter, output) = Self.run([StreamFixture.chatWithoutUsage[...]], strip: true)
        #expect(output == StreamFixture.chatWithoutUsage)
        #expect(meter.usage == nil)
        #expect(meter.sawDone)
        #expect(StreamFixture.contentBytes == 29)
        #expect(
            meter.billableUsage(estimatedPromptTokens: 7)
                == TokenUsage(promptTokens: 7, completionTokens: 8, cachedTokens: 0))
    }

    @Test("When upstream reports usage, it is billed as is, whatever the estimate")
    func providerUsageWins() {
        let (meter, _) = Self.run([StreamFixture.chat[...]], strip: false)
        #expect(meter.billableUsage(estimatedPromptTokens: 1_000) == StreamFixture.usage)
    }

    @Test("An empty stream forwards nothing and bills only the prompt estimate")
    func emptyStream() {
        var meter = SSEStreamMeter(stripUsageChunk: true)
        #expect(meter.consume([]).isEmpty)
        #expect(meter.finish().isEmpty)
        #expect(!meter.sawData)
        #expect(!meter.sawDone)
        #expect(meter.billableUsage(estimatedPromptTokens: 3) == TokenUsage(promptTokens: 3, completionTokens: 0))
    }

    @Test(
        "Every split of a responses-API stream reads usage from response.completed and counts it as done",
        arguments: [true, false]
    )
    func responsesStream(strip: Bool) {
        let bytes = StreamFixture.bytes(StreamFixture.responsesEvents)
        for k in 0...bytes.count {
            let (meter, output) = Self.run(Self.split(bytes, at: [k]), strip: strip)
            #expect(output == bytes, "split at \(k)")
            #expect(meter.usage == TokenUsage(promptTokens: 21, completionTokens: 3, cachedTokens: 4), "split at \(k)")
            #expect(meter.sawDone, "split at \(k)")
        }
    }

    @Test("A responses-API stream cut before response.completed counts each delivered text once")
    func responsesCutCountsTextOnce() {
        let doneEvent =
            "event: response.output_text.done\n"
            + #"data: {"type":"response.output_text.done","sequence_number":6,"item_id":"msg_1","output_index":0,"#
            + #""content_index":0,"text":"Hi there"}"# + "\n\n"
        let events = Array(StreamFixture.responsesEvents.prefix(3)) + [doneEvent]
        let (meter, _) = Self.run([StreamFixture.bytes(events)[...]], strip: true)
        #expect(!meter.sawDone)
        #expect(meter.usage == nil)
        #expect(meter.textBytes == "Hi there".utf8.count)
    }

    @Test(
        "Text bytes count the decoded string values of text-bearing keys, escapes not ending a string",
        arguments: [
            (#"{"choices":[{"delta":{"content":"Hello"}}]}"#, 5),
            (#"{"choices":[{"delta":{"content":""}}]}"#, 0),
            (#"{"choices":[{"delta":{"reasoning_content":"abc"}}]}"#, 3),
            (#"{"choices":[{"delta":{"tool_calls":[{"function":{"arguments":"{}"}}]}}]}"#, 2),
            (#"{"choices":[{"text":"xyz"}]}"#, 3),
            (#"{"type":"response.output_text.delta","delta":"Hi"}"#, 2),
            (#"{"choices":[{"delta":{"content":null}}]}"#, 0),
            (#"{"choices":[{"delta":{"role":"assistant"}}]}"#, 0),
        ] as [(String, Int)]
    )
    func textBytes(payload: String, count: Int) {
        #expect(SSEStreamMeter.textBytes(in: Array(payload.utf8)) == count)
    }

    @Test("An escaped quote inside content does not end the counted text")
    func escapedQuoteInContent() {
        // `a\"b` is three bytes of text (four of JSON): the decoded text counts.
        let count = SSEStreamMeter.textBytes(in: Array(#"{"delta":{"content":"a\"b"},"x":"yy"}"#.utf8))
        #expect(count == 3)
    }
}
