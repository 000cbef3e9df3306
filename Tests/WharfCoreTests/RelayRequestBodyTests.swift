import Foundation
import Testing
import WharfCore

@Suite("Relay request body")
struct RelayRequestBodyTests {
    static func body(_ text: String) throws(RelayRequestError) -> RelayRequestBody {
        try RelayRequestBody(bytes: Array(text.utf8))
    }

    static func forwarded(_ text: String, model: String, askForUsage: Bool) throws -> String {
        let body = try Self.body(text)
        return String(decoding: body.forwardedBytes(upstreamModel: model, askForUsage: askForUsage), as: UTF8.self)
    }

    /// JSON text re-serialised with sorted keys, to compare documents regardless of member order and spacing.
    static func canonical(_ bytes: [UInt8]) throws -> String {
        let object = try JSONSerialization.jsonObject(with: Data(bytes))
        let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
        return String(decoding: data, as: UTF8.self)
    }

    // MARK: - Reading

    @Test("The model, stream flag, output limit and prompt size are read from a chat request")
    func readsChatRequest() throws {
        let messages = #"[{"role":"user","content":"hi"}]"#
        let body = try Self.body(#"{"model":"gpt-4o","stream":true,"max_tokens":100,"messages":\#(messages)}"#)
        #expect(body.model == "gpt-4o")
        #expect(body.stream)
        #expect(body.maxOutputTokens == 100)
        #expect(!body.clientRequestedUsage)
        #expect(body.bodyBytes == body.bytes.count)
        #expect(body.choices == 1)
    }

    @Test("An escaped model name is unescaped")
    func escapedModel() throws {
        #expect(try Self.body(#"{"model":"gpt\u002d4o\/mini"}"#).model == "gpt-4o/mini")
    }

    @Test(
        "The stream member is true, false, null or absent",
        arguments: [
            (#"{"model":"m","stream":true}"#, true),
            (#"{"model":"m","stream":false}"#, false),
            (#"{"model":"m","stream":null}"#, false),
            (#"{"model":"m"}"#, false),
        ]
    )
    func streamFlag(text: String, stream: Bool) throws {
        #expect(try Self.body(text).stream == stream)
    }

    @Test(
        "The output limit comes from max_tokens, max_completion_tokens or max_output_tokens",
        arguments: [
            (#"{"model":"m","max_tokens":100}"#, 100),
            (#"{"model":"m","max_completion_tokens":256}"#, 256),
            (#"{"model":"m","max_output_tokens":64}"#, 64),
            (#"{"model":"m","max_tokens":0}"#, nil),
            (#"{"model":"m","max_tokens":null}"#, nil),
            (#"{"model":"m"}"#, nil),
            (#"{"model":"m","max_tokens": 7 }"#, 7),
        ] as [(String, Int64?)]
    )
    func outputLimit(text: String, limit: Int64?) throws {
        #expect(try Self.body(text).maxOutputTokens == limit)
    }

    @Test(
        "An output limit that is not a non-negative integer is refused with its name",
        arguments: [
            (#"{"model":"m","max_tokens":-1}"#, "max_tokens"),
            (#"{"model":"m","max_tokens":1.5}"#, "max_tokens"),
            (#"{"model":"m","max_tokens":"100"}"#, "max_tokens"),
            (#"{"model":"m","max_completion_tokens":true}"#, "max_completion_tokens"),
            (#"{"model":"m","max_output_tokens":99999999999999999999}"#, "max_output_tokens"),
        ]
    )
    func invalidOutputLimit(text: String, field: String) {
        #expect(throws: RelayRequestError.invalidField(field, "must be a non-negative integer")) {
            try Self.body(text)
        }
    }

    @Test("A body without a model is refused")
    func missingModel() {
        #expect(throws: RelayRequestError.missingModel) { try Self.body(#"{"messages":[]}"#) }
        #expect(throws: RelayRequestError.missingModel) { try Self.body("{}") }
        // `Model` is `model` to upstreams that match names regardless of case: refused, never read as no model.
        #expect(throws: RelayRequestError.duplicateMember("model")) { try Self.body(#"{"Model":"m"}"#) }
        #expect(RelayRequestError.missingModel.description == "you must provide a model parameter")
    }

    @Test(
        "A model that is not a non-empty string is refused",
        arguments: [
            #"{"model":5}"#, #"{"model":""}"#, #"{"model":null}"#, #"{"model":["a"]}"#, #"{"model":{}}"#,
            #"{"model":true}"#, #"{"model":"\ud800"}"#,
        ]
    )
    func nonStringModel(text: String) {
        #expect(throws: RelayRequestError.invalidField("model", "must be a non-empty string")) {
            try Self.body(text)
        }
    }

    @Test(
        "A stream member that is not a boolean is refused",
        arguments: [
            #"{"model":"m","stream":"yes"}"#, #"{"model":"m","stream":1}"#, #"{"model":"m","stream":{}}"#,
            #"{"model":"m","stream":"true"}"#,
        ]
    )
    func streamNotBool(text: String) {
        #expect(throws: RelayRequestError.invalidField("stream", "must be true or false")) { try Self.body(text) }
        #expect(RelayRequestError.invalidField("stream", "must be true or false").description.hasPrefix("'stream'"))
    }

    @Test("A body that is not a JSON object is refused with the scanner's explanation")
    func invalidJSON() {
        #expect(throws: RelayRequestError.invalidJSON(JSONScanError.notAnObject.description)) {
            try Self.body("[1]")
        }
        #expect(throws: RelayRequestError.invalidJSON(JSONScanError.truncated.description)) {
            try Self.body(#"{"model":"m""#)
        }
    }

    @Test(
        "Whether the client asked for the usage chunk itself is read from stream_options",
        arguments: [
            (#"{"model":"m","stream_options":{"include_usage":true}}"#, true),
            (#"{"model":"m","stream_options":{ "include_usage" : true }}"#, true),
            (#"{"model":"m","stream_options":{"include_usage":false}}"#, false),
            (#"{"model":"m","stream_options":{"include_usage":null}}"#, false),
            (#"{"model":"m","stream_options":{}}"#, false),
            (#"{"model":"m","stream_options":null}"#, false),
            (#"{"model":"m"}"#, false),
            (#"{"model":"m","include_usage":true}"#, false),
        ]
    )
    func clientRequestedUsage(text: String, requested: Bool) throws {
        #expect(try Self.body(text).clientRequestedUsage == requested)
    }

    @Test("The prompt estimate covers the whole body: tools, response format and unknown members too")
    func wholeBodyCounts() throws {
        let tools = #"[{"type":"function","function":{"name":"f","parameters":{"type":"object"}}}]"#
        let text = #"{"model":"m","messages":[],"tools":\#(tools),"response_format":{"type":"json_object"}}"#
        #expect(try Self.body(text).bodyBytes == text.utf8.count)
    }

    @Test(
        "The choices asked for are the larger of n and best_of",
        arguments: [
            (#"{"model":"m"}"#, 1), (#"{"model":"m","n":4}"#, 4), (#"{"model":"m","n":null}"#, 1),
            (#"{"model":"m","n":2,"best_of":5}"#, 5), (#"{"model":"m","best_of":3}"#, 3),
        ] as [(String, Int64)]
    )
    func choices(text: String, choices: Int64) throws {
        #expect(try Self.body(text).choices == choices)
    }

    @Test(
        "n and best_of must be integers of at least 1",
        arguments: [#""n":0"#, #""n":-1"#, #""n":1.5"#, #""best_of":"2""#])
    func badChoices(member: String) {
        #expect(throws: RelayRequestError.self) { try Self.body(#"{"model":"m",\#(member)}"#) }
    }

    @Test(
        "A member the gateway reads may appear once only, however its key is written",
        arguments: [
            #"{"model":"cheap","messages":[],"model":"dear"}"#,
            #"{"model":"cheap","mod\u0065l":"dear"}"#,
            #"{"model":"m","stream":false,"stream":true}"#,
            #"{"model":"m","max_tokens":1,"max_tokens":100000}"#,
            #"{"model":"m","n":1,"n":8}"#,
            #"{"model":"m","stream":true,"stream_options":{"include_usage":false,"include_usage":true}}"#,
            #"{"model":"cheap","MODEL":"dear"}"#,
            #"{"model":"m","\u017Ftream":true}"#,
            #"{"model":"m","stream":true,"stream_options":{"INCLUDE_USAGE":false}}"#,
        ]
    )
    func duplicatesRefused(text: String) {
        #expect {
            try Self.body(text)
        } throws: { error in
            if case .duplicateMember = error as? RelayRequestError { return true }
            return false
        }
    }

    @Test(
        "The largest output limit given is held, and 0 (no limit to some upstreams) counts as absent",
        arguments: [
            (#"{"model":"m","max_completion_tokens":32000,"max_output_tokens":0}"#, 32000),
            (#"{"model":"m","max_tokens":10,"max_completion_tokens":500}"#, 500),
            (#"{"model":"m","max_completion_tokens":0}"#, nil),
        ] as [(String, Int64?)]
    )
    func largestOutputLimit(text: String, limit: Int64?) throws {
        #expect(try Self.body(text).maxOutputTokens == limit)
    }

    @Test("Members the gateway does not read may repeat (they reach the upstream as sent)")
    func otherDuplicatesPass() throws {
        #expect(try Self.body(#"{"model":"m","temperature":1,"temperature":0}"#).model == "m")
    }

    // MARK: - Forwarding

    @Test("Nothing to change forwards the very same bytes")
    func unchanged() throws {
        let text = #"{ "model" : "gpt-4o",  "x":[1, 2 ,3],"stream":true }"#
        let body = try Self.body(text)
        #expect(body.forwardedBytes(upstreamModel: "gpt-4o", askForUsage: false) == Array(text.utf8))
        #expect(body.bytes == Array(text.utf8))
    }

    @Test("The model is replaced, properly escaped, and every other byte is unchanged")
    func replacesModel() throws {
        let text = #"{"temperature":0.7, "model" :  "public" ,"x-custom":{"keep":[1,"two",null]},"messages":[]}"#
        let out = try Self.forwarded(text, model: "up\"stream\\name\n\t\u{1}é", askForUsage: false)
        let expected =
            #"{"temperature":0.7, "model" :  "up\"stream\\name\n\t\u0001é" ,"x-custom":{"keep":[1,"two",null]},"#
            + #""messages":[]}"#
        #expect(out == expected)
        let parsed = try #require(try JSONSerialization.jsonObject(with: Data(out.utf8)) as? [String: Any])
        #expect(parsed["model"] as? String == "up\"stream\\name\n\t\u{1}é")
    }

    @Test(
        "A streaming request is made to ask upstream for usage",
        arguments: [
            (
                // No stream_options at all: inserted first.
                #"{"model":"m","stream":true,"messages":[]}"#,
                #"{"stream_options":{"include_usage":true},"model":"m","stream":true,"messages":[]}"#
            ),
            (
                // stream_options without include_usage: added, other options kept.
                #"{"model":"m","stream":true,"stream_options":{"foo":1},"n":2}"#,
                #"{"model":"m","stream":true,"stream_options":{"include_usage":true,"foo":1},"n":2}"#
            ),
            (
                #"{"model":"m","stream":true,"stream_options":{}}"#,
                #"{"model":"m","stream":true,"stream_options":{"include_usage":true}}"#
            ),
            (
                #"{"model":"m","stream":true,"stream_options":{ }}"#,
                #"{"model":"m","stream":true,"stream_options":{"include_usage":true }}"#
            ),
            (
                // include_usage false: flipped in place.
                #"{"model":"m","stream":true,"stream_options":{"foo":1,"include_usage":false},"z":0}"#,
                #"{"model":"m","stream":true,"stream_options":{"foo":1,"include_usage":true},"z":0}"#
            ),
            (
                #"{"model":"m","stream":true,"stream_options":{"include_usage" : null }}"#,
                #"{"model":"m","stream":true,"stream_options":{"include_usage" : true }}"#
            ),
            (
                // stream_options null: replaced by an object.
                #"{"model":"m","stream":true,"stream_options":null,"n":1}"#,
                #"{"model":"m","stream":true,"stream_options":{"include_usage":true},"n":1}"#
            ),
            (
                #"  {"model":"m","stream":true}  "#,
                #"  {"stream_options":{"include_usage":true},"model":"m","stream":true}  "#
            ),
        ]
    )
    func asksForUsage(text: String, expected: String) throws {
        #expect(try Self.forwarded(text, model: "m", askForUsage: true) == expected)
    }

    @Test("When the client already asked for usage, the body is left alone")
    func clientAlreadyAsked() throws {
        let text = #"{"model":"m","stream":true,"stream_options":{"include_usage":true,"foo":[1]}}"#
        #expect(try Self.forwarded(text, model: "m", askForUsage: true) == text)
        #expect(
            try Self.forwarded(text, model: "up-1", askForUsage: true)
                == #"{"model":"up-1","stream":true,"stream_options":{"include_usage":true,"foo":[1]}}"#)
    }

    @Test("Without askForUsage, stream_options is never touched")
    func noUsageWanted() throws {
        let text = #"{"model":"m","stream":true,"stream_options":{"include_usage":false}}"#
        #expect(try Self.forwarded(text, model: "m", askForUsage: false) == text)
    }

    @Test("Both edits together keep unknown fields and parse to the expected document")
    func bothEditsParse() throws {
        let text = """
            {
              "model": "public-name",
              "messages": [{"role": "user", "content": "say \\"model\\": {\\"x\\"}"}],
              "stream": true,
              "x_vendor": {"nested": [true, false, null, 1.25e2, "é"]},
              "temperature": 0.2
            }
            """
        let body = try Self.body(text)
        let out = body.forwardedBytes(upstreamModel: "vendor/model-v2", askForUsage: true)
        let expected = """
            {"model":"vendor/model-v2","messages":[{"role":"user","content":"say \\"model\\": {\\"x\\"}"}],
             "stream":true,"stream_options":{"include_usage":true},
             "x_vendor":{"nested":[true,false,null,1.25e2,"é"]},"temperature":0.2}
            """
        #expect(try Self.canonical(out) == Self.canonical(Array(expected.utf8)))
        // The edited body still reads back as the same request, with the new model and usage asked.
        let again = try RelayRequestBody(bytes: out)
        #expect(again.model == "vendor/model-v2")
        #expect(again.stream)
        #expect(again.clientRequestedUsage)
        // Apart from the two edits, the bytes are the original ones.
        let original = String(decoding: body.bytes, as: UTF8.self)
        let rebuilt = String(decoding: out, as: UTF8.self)
            .replacingOccurrences(of: #""stream_options":{"include_usage":true},"#, with: "")
            .replacingOccurrences(of: #""vendor/model-v2""#, with: #""public-name""#)
        #expect(rebuilt == original)
    }
}
