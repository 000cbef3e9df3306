import Testing
import WharfCore

@Suite("JSON object scanner")
struct JSONObjectScannerTests {
    static func scan(_ text: String) throws(JSONScanError) -> JSONObjectScanner {
        try JSONObjectScanner(Array(text.utf8))
    }

    /// The raw text of each member's value, in document order.
    static func rawValues(_ text: String) throws -> [String] {
        let bytes = Array(text.utf8)
        let scanner = try JSONObjectScanner(bytes)
        return scanner.members.map { String(decoding: bytes[$0.valueRange], as: UTF8.self) }
    }

    @Test("Top-level members are found in order with the exact byte range of each raw value")
    func membersAndRanges() throws {
        let text = #"{"model":"gpt-4o","n":2,"stream":true,"stop":null,"t":-1.5e3,"off":false,"o":{},"a":[]}"#
        let scanner = try Self.scan(text)
        #expect(scanner.members.map(\.key) == ["model", "n", "stream", "stop", "t", "off", "o", "a"])
        #expect(try Self.rawValues(text) == [#""gpt-4o""#, "2", "true", "null", "-1.5e3", "false", "{}", "[]"])
        #expect(scanner.members[0].valueRange == 9..<17)
        #expect(scanner.openBrace == 0)
        #expect(scanner.closeBrace == text.utf8.count - 1)
    }

    @Test("Whitespace around the object, keys, colons and values is skipped but kept out of value ranges")
    func whitespace() throws {
        let text = " \n{ \"a\" :\t1 , \"b\":[ 1 ,\r\n2 ] ,\"c\" : \"x\" }\t\n"
        let scanner = try Self.scan(text)
        #expect(scanner.members.map(\.key) == ["a", "b", "c"])
        #expect(try Self.rawValues(text) == ["1", "[ 1 ,\r\n2 ]", #""x""#])
        #expect(scanner.openBrace == 2)
        #expect(Array(text.utf8)[scanner.closeBrace] == UInt8(ascii: "}"))
        #expect(scanner.closeBrace == text.utf8.count - 3)
    }

    @Test("An empty object has no members", arguments: ["{}", " { } ", "\n{\r\n}\n"])
    func emptyObject(text: String) throws {
        let scanner = try Self.scan(text)
        #expect(scanner.members.isEmpty)
        let bytes = Array(text.utf8)
        #expect(bytes[scanner.openBrace] == UInt8(ascii: "{"))
        #expect(bytes[scanner.closeBrace] == UInt8(ascii: "}"))
        #expect(scanner.range(of: "model") == nil)
    }

    @Test("Nested objects, arrays and strings with escaped quotes and brackets are skipped as one value")
    func nestedValues() throws {
        let messages = #"[{"role":"user","content":"say \"}\" and {[\\\"} ]"},{"content":"\\"}]"#
        let deep = #"{"y":{"z":[1,{"w":"]"},[[],{}],"\u0022}"]}}"#
        let text = #"{"messages":\#(messages),"x":\#(deep),"last":"\\\\","k":"}"}"#
        let scanner = try Self.scan(text)
        #expect(scanner.members.map(\.key) == ["messages", "x", "last", "k"])
        #expect(try Self.rawValues(text) == [messages, deep, #""\\\\""#, #""}""#])
    }

    @Test(
        "Keys are unescaped, including unicode escapes and surrogate pairs",
        arguments: [
            (#"{"mo\u0064el":1}"#, "model"),
            (#"{"\u00e9t\u00C9":1}"#, "étÉ"),
            (#"{"\ud83d\ude00":1}"#, "😀"),
            (#"{"x\uD834\uDD1Ey":1}"#, "x𝄞y"),
            (#"{"日本":1}"#, "日本"),
            (#"{"a\"b\\c\/d\n\t\r\b\f":1}"#, "a\"b\\c/d\n\t\r\u{08}\u{0C}"),
            (#"{"":1}"#, ""),
        ]
    )
    func unescapesKeys(text: String, key: String) throws {
        let scanner = try Self.scan(text)
        #expect(scanner.members.map(\.key) == [key])
        #expect(scanner.range(of: key) != nil)
    }

    @Test("With duplicate keys, range(of:) gives the last one, as JSON parsers do")
    func duplicateKeys() throws {
        let text = #"{"model":"a","n":1,"model":"b"}"#
        let bytes = Array(text.utf8)
        let scanner = try JSONObjectScanner(bytes)
        #expect(scanner.members.map(\.key) == ["model", "n", "model"])
        let range = try #require(scanner.range(of: "model"))
        #expect(String(decoding: bytes[range], as: UTF8.self) == #""b""#)
        #expect(scanner.range(of: "missing") == nil)
        #expect(scanner.range(of: "Model") == nil)
    }

    @Test("A key spelled with escapes is the same key as its plain spelling")
    func escapedDuplicate() throws {
        let text = #"{"model":"a","mod\u0065l":"b"}"#
        let bytes = Array(text.utf8)
        let range = try #require(try JSONObjectScanner(bytes).range(of: "model"))
        #expect(String(decoding: bytes[range], as: UTF8.self) == #""b""#)
    }

    @Test(
        "A body that is not a JSON object is rejected",
        arguments: ["", "   ", "[]", "[{\"a\":1}]", "\"x\"", "null", "1", "x{}"]
    )
    func notAnObject(text: String) {
        #expect(throws: JSONScanError.notAnObject) { try Self.scan(text) }
    }

    @Test(
        "A body that ends too early is reported as truncated",
        arguments: [
            #"{"a":1"#, #"{"a":"#, #"{"a":"xy"#, #"{"a":[1,2"#, #"{"a":{"b":1"#, #"{"a":"x\"#, #"{"ab"#,
            #"{"a":1,"b":[{"c":"d"}]"#, #"{"a":[]"#, "{\"a\":1 \n",
        ]
    )
    func truncated(text: String) {
        #expect(throws: JSONScanError.truncated) { try Self.scan(text) }
    }

    @Test(
        "Anything after the closing brace is trailing data at its offset",
        arguments: [(#"{"a":1} x"#, 8), ("{}{}", 2), (#"{"a":1}}"#, 7), ("{} ,", 3), ("{}\u{0}", 2)] as [(String, Int)]
    )
    func trailingData(text: String, offset: Int) {
        #expect(throws: JSONScanError.trailingData(offset: offset)) { try Self.scan(text) }
    }

    @Test(
        "Malformed bodies are reported at the offending byte",
        arguments: [
            (#"{"a":tru}"#, 5),  // bad literal
            (#"{"a":nul}"#, 5),
            (#"{"a":truth}"#, 5),
            (#"{"a":nulls}"#, 5),
            (#"{"a":True}"#, 5),
            (#"{"a":}"#, 5),
            (#"{"a":'x'}"#, 5),
            (#"{"a":[1,tru]}"#, 8),
            ("{\"a\":\"x\ny\"}", 7),  // raw control character in a string
            ("{\"a\tb\":1}", 3),  // raw control character in a key
            ("{\"a\":[\"\u{1F}\"]}", 7),
            (#"{"a" 1}"#, 5),  // missing colon
            (#"{"a":1,}"#, 7),  // trailing comma
            (#"{a:1}"#, 1),  // unquoted key
            (#"{"a":1 "b":2}"#, 7),  // missing comma
            (#"{"a":{1:2}}"#, 6),  // non-string key inside
            (#"{"a":[1 2]}"#, 8),
            (#"{"a":[1}"#, 7),  // mismatched bracket
            (#"{"\x":1}"#, 3),  // unknown escape in a key
            (#"{"\u12G4":1}"#, 6),  // bad hex digit in a key
        ] as [(String, Int)]
    )
    func malformed(text: String, offset: Int) {
        #expect(throws: JSONScanError.malformed(offset: offset)) { try Self.scan(text) }
    }

    @Test(
        "Lone or mismatched surrogates in a key are malformed",
        arguments: [#"{"\ud83d":1}"#, #"{"\ude00":1}"#, #"{"\ud83d\u0041":1}"#, #"{"\ud83dx":1}"#]
    )
    func loneSurrogates(text: String) {
        let error = #expect(throws: JSONScanError.self) { try Self.scan(text) }
        if case .malformed = error {
        } else {
            Issue.record("expected a malformed error, got \(String(describing: error))")
        }
    }

    @Test("A key that is not valid UTF-8 is rejected as such")
    func invalidUTF8Key() {
        let bytes: [UInt8] = Array(#"{""#.utf8) + [0xFF, 0xFE] + Array(#"":1}"#.utf8)
        #expect(throws: JSONScanError.invalidUTF8) { try JSONObjectScanner(bytes) }
    }

    static func nested(_ depth: Int) -> String {
        #"{"a":"# + String(repeating: "[", count: depth) + String(repeating: "]", count: depth) + "}"
    }

    @Test("512 nested arrays inside the object are accepted; 513 are too deep")
    func depthLimit() throws {
        let ok = try Self.scan(Self.nested(512))
        #expect(ok.members.map(\.key) == ["a"])
        #expect(throws: JSONScanError.tooDeep) { try Self.scan(Self.nested(513)) }
        let objects = #"{"a":"# + String(repeating: #"{"b":"#, count: 600) + "1" + String(repeating: "}", count: 601)
        #expect(throws: JSONScanError.tooDeep) { try Self.scan(objects) }
    }

    @Test("Hostile nesting fails fast as too deep, even when the body is also truncated")
    func hostileNesting() {
        let text = #"{"a":"# + String(repeating: "[", count: 200_000)
        #expect(throws: JSONScanError.tooDeep) { try Self.scan(text) }
    }

    @Test(
        "String literals decode with every escape",
        arguments: [
            (#""plain""#, "plain"),
            (#""""#, ""),
            (#""a\u0041\u00df""#, "aAß"),
            (#""\"\\\/\b\f\n\r\t""#, "\"\\/\u{08}\u{0C}\n\r\t"),
            (#""\ud83d\ude00!""#, "😀!"),
            (#""\u0000""#, "\u{0}"),
            (#""é""#, "é"),
        ]
    )
    func decodesStrings(literal: String, value: String) throws {
        #expect(try JSONObjectScanner.decodeString(ArraySlice(Array(literal.utf8))) == value)
    }

    @Test("A string literal too short or with a dangling escape is malformed or truncated")
    func decodeStringErrors() {
        #expect(throws: JSONScanError.self) { try JSONObjectScanner.decodeString(ArraySlice(Array("\"".utf8))) }
        #expect(throws: JSONScanError.self) { try JSONObjectScanner.decodeString(ArraySlice(Array(#""\u12""#.utf8))) }
        #expect(throws: JSONScanError.self) { try JSONObjectScanner.decodeString(ArraySlice(Array(#""a\""#.utf8))) }
    }

    @Test(
        "Looking members up in place finds what the full scan finds: the last duplicate, escaped keys, missing keys",
        arguments: [
            #"{"model":"a","n":1,"model":"b"}"#, #"{"mod\u0065l":"x","m":{"model":1}}"#, #"{}"#,
            #" {"n":[1,{"model":2}],"x":"model"} "#, #"{"é":1,"model":null}"#,
        ])
    func lastMembersAgreeWithScan(text: String) throws {
        let bytes = Array(text.utf8)
        let scanner = try JSONObjectScanner(bytes)
        let keys = ["model", "n", "é", "absent"]
        let found = try JSONObjectScanner.lastMembers(named: keys, in: bytes)
        #expect(found.ranges == keys.map { scanner.range(of: $0) })
        #expect(found.openBrace == scanner.openBrace)
    }

    @Test(
        "Looking members up in place refuses what the full scan refuses",
        arguments: [#"{"a":1"#, #"[1]"#, #"{"a":tru}"#, #"{"a":1} x"#, #"{a:1}"#])
    func lastMembersRefuse(text: String) {
        #expect(throws: JSONScanError.self) { try JSONObjectScanner.lastMembers(named: ["a"], in: Array(text.utf8)) }
    }

    @Test("A key that is not UTF-8 is refused by the in-place lookup too, even when no key is asked for")
    func lastMembersInvalidUTF8() {
        let bytes: [UInt8] = Array(#"{""#.utf8) + [0xFF, 0xFE] + Array(#"":1}"#.utf8)
        #expect(throws: JSONScanError.invalidUTF8) { try JSONObjectScanner.lastMembers(named: [], in: bytes) }
    }

    @Test("Every error explains itself in one sentence about the request body")
    func errorDescriptions() {
        let errors: [JSONScanError] = [
            .notAnObject, .malformed(offset: 3), .truncated, .trailingData(offset: 9), .tooDeep, .invalidUTF8,
        ]
        for error in errors {
            #expect(error.description.hasPrefix("the request body"))
        }
        #expect(JSONScanError.malformed(offset: 3).description.contains("byte 3"))
        #expect(JSONScanError.trailingData(offset: 9).description.contains("byte 9"))
    }
}
