import Testing
import WharfTestSupport

@testable import WharfCore

/// A JSON value, written out in any of the valid forms a provider might use.
indirect enum GeneratedJSON {
    case string(String)
    case number(Int64)
    case null
    case bool(Bool)
    case array([GeneratedJSON])
    case object([(String, GeneratedJSON)])

    /// The value as compact JSON with no escapes beyond the needed ones.
    var compact: String {
        var random = SplitMix64(seed: 0)
        return write(&random, style: .compact)
    }

    enum Style { case compact, random }

    /// The value as JSON; in `.random` style, whitespace, key order and escapes vary (all valid JSON).
    func write(_ random: inout SplitMix64, style: Style) -> String {
        func space() -> String {
            guard style == .random else { return "" }
            return ["", "", " ", "  ", "\n", "\t", " \n "][Int(random.next() % 7)]
        }
        switch self {
        case .string(let s): return Self.quote(s, &random, style: style)
        case .number(let n): return String(n)
        case .null: return "null"
        case .bool(let b): return b ? "true" : "false"
        case .array(let items):
            return "[" + space()
                + items.map { $0.write(&random, style: style) }.joined(separator: space() + "," + space())
                + space() + "]"
        case .object(let members):
            var ordered = members
            if style == .random { ordered.shuffle(using: &random) }
            let parts = ordered.map { key, value in
                Self.quote(key, &random, style: style) + space() + ":" + space() + value.write(&random, style: style)
            }
            return "{" + space() + parts.joined(separator: space() + "," + space()) + space() + "}"
        }
    }

    /// A JSON string literal; in `.random` style any character may be written as a `\u` escape (surrogate pairs
    /// beyond the BMP) and `/` as `\/`.
    static func quote(_ s: String, _ random: inout SplitMix64, style: Style) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            let escape = style == .random && random.next() % 4 == 0
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += escape ? "\\u000a" : "\\n"
            case "/" where escape: out += "\\/"
            default:
                if scalar.value < 0x20 || escape {
                    if scalar.value > 0xFFFF {
                        let v = scalar.value - 0x10000
                        out += hex(0xD800 + (v >> 10)) + hex(0xDC00 + (v & 0x3FF))
                    } else {
                        out += hex(scalar.value)
                    }
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }

    static func hex(_ v: UInt32) -> String {
        let digits = String(v, radix: 16)
        return "\\u" + String(repeating: "0", count: 4 - digits.count) + digits
    }
}

@Suite("SSE metering: any valid form of the same stream gives the same figures")
struct SSEMeteringPropertyTests {
    static let pieces = [
        "Hello", " wörld", "—", "\u{1F600}", "\"quoted\"", "a/b\\c", "line\nbreak", "日本語", "", "{\"x\":1}",
        "data: [DONE]", "\u{600}<", "tab\there",
    ]

    /// A random chat stream: events as JSON values, the text bytes they carry, and the usage at the end.
    static func randomStream(_ random: inout SplitMix64) -> (
        events: [GeneratedJSON], textBytes: Int, usage: GeneratedJSON
    ) {
        let choices = Int(random.next() % 4) + 1
        var events: [GeneratedJSON] = []
        var text = 0
        for _ in 0..<Int(random.next() % 8) + 1 {
            var deltas: [GeneratedJSON] = []
            for index in 0..<choices {
                let piece = pieces[Int(random.next() % UInt64(pieces.count))]
                text += piece.utf8.count
                var delta: [(String, GeneratedJSON)] = []
                switch random.next() % 3 {
                case 0: delta.append(("content", .string(piece)))
                case 1: delta.append(("reasoning_content", .string(piece)))
                default:
                    delta.append(
                        (
                            "tool_calls",
                            .array([
                                .object([
                                    ("index", .number(0)), ("id", .string("call_1")),
                                    ("function", .object([("name", .string("f")), ("arguments", .string(piece))])),
                                ])
                            ])
                        ))
                }
                delta.append(("role", .string("assistant")))
                deltas.append(
                    .object([("index", .number(Int64(index))), ("delta", .object(delta)), ("finish_reason", .null)]))
            }
            events.append(
                .object([
                    ("id", .string("chatcmpl-1")), ("object", .string("chat.completion.chunk")),
                    ("model", .string("m")), ("choices", .array(deltas)), ("usage", .null),
                ]))
        }
        let usage = GeneratedJSON.object([
            ("prompt_tokens", .number(31)), ("completion_tokens", .number(77)), ("total_tokens", .number(108)),
            ("prompt_tokens_details", .object([("cached_tokens", .number(3))])),
        ])
        return (events, text, usage)
    }

    /// The stream written out: each event in `style`, each line ended by a random (or the given) delimiter.
    static func serialise(
        _ events: [GeneratedJSON], usage: GeneratedJSON?, done: Bool, _ random: inout SplitMix64,
        style: GeneratedJSON.Style,
        delimiter: String?
    ) -> [UInt8] {
        var text = ""
        // One line end per stream: a CR line end followed by an LF one would read as a single CRLF.
        let chosen = delimiter ?? ["\n", "\r\n", "\r"][Int(random.next() % 3)]
        func end() -> String { chosen }
        var all = events
        if let usage {
            all.append(.object([("id", .string("chatcmpl-1")), ("choices", .array([])), ("usage", usage)]))
        }
        for event in all {
            if style == .random && random.next() % 5 == 0 { text += ": keep-alive" + end() + end() }
            // JSON whitespace may hold line ends: each line of the JSON goes in a data line of its own (SSE joins
            // them with LF, which JSON reads as whitespace).
            let lines = event.write(&random, style: style).split(separator: "\n", omittingEmptySubsequences: false)
            for line in lines {
                let tight = style == .random && random.next() % 2 == 0 && line.first != " "
                text += "data:" + (tight ? "" : " ") + line + end()
            }
            text += end()
        }
        if done { text += "data: [DONE]" + end() + end() }
        return Array(text.utf8)
    }

    /// Feeds `bytes` in random pieces.
    static func meter(_ bytes: [UInt8], strip: Bool, _ random: inout SplitMix64) -> (SSEStreamMeter, [UInt8]) {
        var meter = SSEStreamMeter(stripUsageChunk: strip)
        var out: [UInt8] = []
        var i = 0
        while i < bytes.count {
            let n = min(bytes.count - i, Int(random.next() % 40))
            out += meter.consume(Array(bytes[i..<(i + n)]))
            i += n
        }
        out += meter.finish()
        return (meter, out)
    }

    @Test("300 random streams in random JSON forms, delimiters and splits meter the same text and usage")
    func randomFormsAgree() {
        var random = SplitMix64(seed: 0x5EED_0001)
        for run in 0..<300 {
            let (events, textBytes, usage) = Self.randomStream(&random)
            let withUsage = run % 2 == 0
            let reference = Self.serialise(
                events, usage: withUsage ? usage : nil, done: true, &random, style: .compact, delimiter: "\n")
            let varied = Self.serialise(
                events, usage: withUsage ? usage : nil, done: true, &random, style: .random, delimiter: nil)
            for (label, bytes) in [("compact", reference), ("varied", varied)] {
                for strip in [false, true] {
                    let (meter, out) = Self.meter(bytes, strip: strip, &random)
                    #expect(meter.textBytes == textBytes, "run \(run), \(label), strip \(strip)")
                    #expect(meter.sawDone, "run \(run), \(label)")
                    let expectedUsage =
                        withUsage ? TokenUsage(promptTokens: 31, completionTokens: 77, cachedTokens: 3) : nil
                    #expect(meter.usage == expectedUsage, "run \(run), \(label)")
                    if !strip { #expect(out == bytes, "run \(run), \(label): passed through unchanged") }
                    if strip && withUsage {
                        #expect(!String(decoding: out, as: UTF8.self).contains("prompt_tokens"), "run \(run)")
                    }
                }
            }
        }
    }

    @Test("A stream cut after any event bills the text of the events before the cut, in any form")
    func cutAfterEachEvent() {
        var random = SplitMix64(seed: 0x5EED_0002)
        for run in 0..<60 {
            let (events, _, _) = Self.randomStream(&random)
            for cut in 0...events.count {
                let kept = Array(events.prefix(cut))
                let expected = kept.reduce(0) { total, event in
                    total + (try! JSONPayloadReader.read(Array(event.compact.utf8))).textBytes
                }
                let bytes = Self.serialise(kept, usage: nil, done: false, &random, style: .random, delimiter: nil)
                let (meter, _) = Self.meter(bytes, strip: true, &random)
                #expect(meter.textBytes == expected, "run \(run), cut after \(cut)")
                #expect(meter.usage == nil)
                #expect(!meter.sawDone)
            }
        }
    }

    @Test(
        "Spaced, escaped and compact forms of one chunk count the same decoded text",
        arguments: [
            #"{"choices":[{"delta":{"content":"Hello"}}]}"#,
            #"{"choices": [{"delta": {"content": "Hello"}}]}"#,
            "{\n  \"choices\" : [ {\n \"delta\" : { \"content\" : \"Hello\" } } ]\n}",
            #"{"choices":[{"delta":{"con\u0074ent":"\u0048ello"}}]}"#,
            #"{"choices":[{"delta":{"content":"Hell\u006f"}}],"usage":null}"#,
        ]
    )
    func spacedJSON(payload: String) throws {
        #expect(try JSONPayloadReader.read(Array(payload.utf8)).textBytes == 5)
        // A payload with line ends goes in several data lines, which SSE joins with LF.
        let lines = payload.split(separator: "\n", omittingEmptySubsequences: false).map { "data: " + $0 + "\n" }
        let stream = lines.joined() + "\ndata: [DONE]\n\n"
        var meter = SSEStreamMeter(stripUsageChunk: true)
        _ = meter.consume(Array(stream.utf8))
        _ = meter.finish()
        #expect(meter.textBytes == 5)
        #expect(meter.billableUsage(estimatedPromptTokens: 10) == TokenUsage(promptTokens: 10, completionTokens: 2))
    }

    @Test("Escapes count the bytes of the text they stand for")
    func escapesDecoded() throws {
        func count(_ s: String) throws -> Int { try JSONPayloadReader.read(Array(s.utf8)).textBytes }
        #expect(try count(#"{"content":"caf\u00e9"}"#) == "café".utf8.count)
        #expect(try count(#"{"content":"\ud83d\ude00"}"#) == 4)
        #expect(try count(#"{"content":"\u65e5"}"#) == 3)
        #expect(try count(#"{"content":"a\nb\/c"}"#) == 5)
        #expect(try count(#"{"content":"\ud83d"}"#) == 3, "a lone surrogate stands for U+FFFD")
    }

    @Test("Events delimited by LF, CRLF or a lone CR stream and meter alike, a lone CR included")
    func loneCR() {
        for delimiter in ["\n", "\r\n", "\r"] {
            let first = "data: {\"choices\":[{\"delta\":{\"content\":\"abc\"}}]}" + delimiter + delimiter
            var meter = SSEStreamMeter(stripUsageChunk: true)
            // The first event goes out as soon as it is complete, not at the end of the stream.
            let out = meter.consume(Array(first.utf8))
            #expect(String(decoding: out, as: UTF8.self) == first, "delimiter \(Array(delimiter.utf8))")
            #expect(meter.textBytes == 3)
        }
    }

    @Test("Not JSON, not an object, or broken: a whole event counts its data; the cut last one does not")
    func invalidPayloads() {
        var meter = SSEStreamMeter(stripUsageChunk: false)
        _ = meter.consume(Array("data: plain words\n\ndata: {\"content\":\"x\",}\n\ndata: {\"content\":\"abc".utf8))
        _ = meter.finish()
        #expect(meter.textBytes == "plain words".utf8.count + #"{"content":"x",}"#.utf8.count)
    }

    @Test("One event past the bound stops the meter, in both modes; nothing of it is held")
    func eventBound() {
        for strip in [false, true] {
            var meter = SSEStreamMeter(stripUsageChunk: strip, maxEventBytes: 4096)
            let big = Array(("data: {\"content\":\"" + String(repeating: "x", count: 1000)).utf8)
            var forwarded = 0
            for _ in 0..<10 { forwarded += meter.consume(big).count }
            #expect(meter.overflowed)
            #expect(meter.textBytes >= 3000, "what was held counts as text")
            #expect(meter.consume(big).isEmpty)
            #expect(meter.finish().isEmpty)
            if strip { #expect(forwarded == 0) }
        }
    }

    @Test("Invalid JSON in every position is refused by the reader, never read as something else")
    func readerRefusesInvalid() {
        let bad = [
            #"{"a":}"#, #"{"a" 1}"#, #"{"a":1,}"#, #"[1,]"#, #"{"a":01}"#, #"{"a":1.}"#, #"{"a":-}"#, #"{"a":tru}"#,
            #"{"a":"\x"}"#, "{\"a\":\"\u{01}\"}", #"{"a":"\u12"}"#, #"{"a":1}}"#, #"{"a":1} x"#, "", "   ",
            #"{"a":"open"#,
        ]
        for text in bad {
            #expect(throws: JSONScanError.self, "\(text)") { try JSONPayloadReader.read(Array(text.utf8)) }
        }
        #expect(throws: JSONScanError.self) { try JSONPayloadReader.read([0x22, 0xC3, 0x28, 0x22]) }
        let deep = String(repeating: "[", count: 300) + String(repeating: "]", count: 300)
        #expect(throws: JSONScanError.self) { try JSONPayloadReader.read(Array(deep.utf8)) }
    }
}
