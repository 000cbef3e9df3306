import Testing

@testable import WharfCore

@Suite("The strict JSON reader and writer")
struct JSONValueTests {
    private func parse(_ text: String) throws(JSONValueError) -> JSONValue { try JSONValue.parse(Array(text.utf8)) }

    @Test("Plain, escaped and non-ASCII strings read back as the same text and write back as valid JSON")
    func strings() throws {
        let value = try parse(#"{"a":"plain","b":"tab\tquote\"slash\\","c":"héllo 世界 🙂","d":"\u00e9\ud83d\ude42"}"#)
        #expect(value["a"]?.string == "plain")
        #expect(value["b"]?.string == "tab\tquote\"slash\\")
        #expect(value["c"]?.string == "héllo 世界 🙂")
        #expect(value["d"]?.string == "é🙂")
        #expect(try JSONValue.parse(value.encoded) == value)
        #expect(value.encodedString.contains(#""tab\tquote\"slash\\""#))
    }

    @Test("Invalid UTF-8 inside a string is an error, with or without escapes")
    func invalidUTF8() {
        for bytes: [UInt8] in [[0x22, 0xC3, 0x28, 0x22], [0x22, 0x5C, 0x6E, 0xFF, 0x22]] {
            #expect(throws: JSONValueError.invalid) { try JSONValue.parse(bytes) }
        }
    }

    @Test("Literals are read exactly; a near miss is an error")
    func literals() throws {
        #expect(try parse("[true,false,null]") == .array([.bool(true), .bool(false), .null]))
        for text in ["tru", "nulL", "[fals]", "nul"] {
            #expect(throws: JSONValueError.invalid) { try parse(text) }
        }
    }

    @Test("A repeated member is refused in small and in large objects")
    func repeatedMembers() {
        #expect(throws: JSONValueError.repeatedMember) { try parse(#"{"a":1,"b":2,"a":3}"#) }
        let many = (0..<40).map { "\"k\($0)\":\($0)" }.joined(separator: ",")
        #expect(throws: JSONValueError.repeatedMember) { try parse("{" + many + ",\"k3\":0}") }
        #expect(throws: JSONValueError.repeatedMember) { try parse("{" + many + ",\"k39\":0}") }
        #expect((try? parse("{" + many + ",\"k40\":0}")) != nil)
    }

    @Test("Nesting as deep as the relay's scanner reads is accepted; deeper is an error, not a crash")
    func depth() {
        func nested(_ depth: Int) -> String {
            String(repeating: "[", count: depth) + String(repeating: "]", count: depth)
        }
        // The root is not counted (as in the scanner): an object with 512 nested arrays inside is read by both.
        #expect((try? parse(nested(JSONValue.maxDepth + 1))) != nil)
        #expect((try? parse(#"{"a":"# + nested(JSONValue.maxDepth) + "}")) != nil)
        #expect(throws: JSONValueError.tooDeep) { try parse(nested(JSONValue.maxDepth + 2)) }
    }
}
