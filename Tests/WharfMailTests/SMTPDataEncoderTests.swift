import Testing

@testable import WharfMail

@Suite("DATA encoding")
struct SMTPDataEncoderTests {
    static func encode(_ text: String) -> String {
        String(decoding: SMTPDataEncoder.encode(Array(text.utf8)), as: UTF8.self)
    }

    @Test("A body line starting with a dot gets a second dot")
    func lineStartingWithDot() {
        #expect(Self.encode("first\r\n.hidden\r\nlast\r\n") == "first\r\n..hidden\r\nlast\r\n.\r\n")
    }

    @Test("A line that is just a dot cannot end the mail early")
    func lineThatIsJustADot() {
        #expect(Self.encode("before\r\n.\r\nafter\r\n") == "before\r\n..\r\nafter\r\n.\r\n")
    }

    @Test("A dot on the very first line is stuffed, a dot inside a line is not")
    func dotPositions() {
        #expect(Self.encode(".start and a.dot inside") == "..start and a.dot inside\r\n.\r\n")
    }

    @Test("Bare LF and bare CR become CRLF, and a missing final line break is added before the terminator")
    func lineEndings() {
        #expect(Self.encode("a\nb\rc\r\n\nd") == "a\r\nb\r\nc\r\n\r\nd\r\n.\r\n")
        #expect(Self.encode("a\n.\n") == "a\r\n..\r\n.\r\n")
    }

    @Test("An empty message is just the terminator")
    func empty() {
        #expect(Self.encode("") == ".\r\n")
    }
}
