import Foundation
import Testing
import WharfCore

@Suite("JSON text")
struct JSONTextTests {
    @Test(
        "A string is quoted with the escapes JSON requires, and nothing else is escaped",
        arguments: [
            ("plain", #""plain""#),
            ("", #""""#),
            ("a\"b", #""a\"b""#),
            ("back\\slash", #""back\\slash""#),
            ("line\nfeed\r\ttab", #""line\nfeed\r\ttab""#),
            ("\u{0}\u{1}\u{1F}", #""\u0000\u0001\u001f""#),
            ("slash/ünïcödé 😀 \u{7F}", "\"slash/ünïcödé 😀 \u{7F}\""),
        ]
    )
    func quotes(value: String, literal: String) {
        #expect(JSONText.quotedString(value) == literal)
        #expect(JSONText.quoted(value) == Array(literal.utf8))
    }

    @Test(
        "A quoted string decodes back to itself",
        arguments: ["", "a\"b\\c", "\u{0}\u{8}\u{C}\u{1B}", "tab\tcr\rlf\n", "日本語 😀", "}{][\",:"]
    )
    func roundTrips(value: String) throws {
        let literal = JSONText.quoted(value)
        #expect(try JSONObjectScanner.decodeString(ArraySlice(literal)) == value)
        let array = try JSONSerialization.jsonObject(with: Data(("[" + JSONText.quotedString(value) + "]").utf8))
        #expect((array as? [String])?.first == value)
    }
}
