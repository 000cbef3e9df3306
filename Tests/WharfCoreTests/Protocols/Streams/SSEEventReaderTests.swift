import Testing

@testable import WharfCore

@Suite("SSE event reader")
struct SSEEventReaderTests {
    private func read(_ pieces: [String], maxEventBytes: Int = 1 << 20) -> (events: [SSEEvent], overflowed: Bool) {
        var reader = SSEEventReader(maxEventBytes: maxEventBytes)
        var events: [SSEEvent] = []
        for piece in pieces { events += reader.feed(Array(piece.utf8)) }
        events += reader.finish()
        return (events, reader.overflowed)
    }

    @Test("Lines ending in LF, CRLF and a lone CR, mixed in one stream, all end lines")
    func mixedLineEndings() {
        let (events, _) = read(["data: a\n\ndata: b\r\n\r\ndata: c\r\rdata: d\n\r\n"])
        #expect(events.map { String(decoding: $0.data, as: UTF8.self) } == ["a", "b", "c", "d"])
    }

    @Test("A CR ending one chunk and its LF starting the next make one line end, not two")
    func crlfAcrossChunks() {
        let (events, _) = read(["data: a\r", "\ndata: b\r", "\n\r", "\n"])
        #expect(events == [SSEEvent(text: "a\nb")])
    }

    @Test("A CR ending the last chunk is a line end of its own")
    func crAtChunkEndAlone() {
        let (events, _) = read(["data: a\r", "\r", "data: b\n\n"])
        #expect(events == [SSEEvent(text: "a"), SSEEvent(text: "b")])
    }

    @Test("Data lines join with LF, with or without the one space after the colon, and a bare data field is empty")
    func dataLines() {
        let (events, _) = read(["data:x\ndata:  two spaces\ndata\n\n"])
        #expect(events == [SSEEvent(text: "x\n two spaces\n")])
    }

    @Test("The event field names the event and resets after each dispatch")
    func eventField() {
        let (events, _) = read(["event: message_start\ndata: {}\n\ndata: 2\n\n"])
        #expect(events == [SSEEvent(event: "message_start", text: "{}"), SSEEvent(text: "2")])
    }

    @Test("Comments, id, retry and unknown fields are ignored, and a blank line with no data dispatches nothing")
    func ignoredLines() {
        let (events, _) = read([": ping\nid: 7\nretry: 100\nfoo: bar\n\nevent: ping\n\ndata: x\n\n"])
        #expect(events == [SSEEvent(text: "x")])
    }

    @Test("A line arriving in many pieces reads as one line")
    func linePieces() {
        let (events, _) = read(["da", "ta", ": he", "llo", "\n", "\n"])
        #expect(events == [SSEEvent(text: "hello")])
    }

    @Test("At the end of input an unfinished event with data is dispatched, an unfinished line included")
    func finishDispatches() {
        #expect(read(["data: a\ndata: b"]).events == [SSEEvent(text: "a\nb")])
        #expect(read(["event: x\n"]).events.isEmpty)
    }

    @Test("A leading byte order mark is skipped")
    func byteOrderMark() {
        let (events, _) = read(["\u{FEFF}data: a\n\n"])
        #expect(events == [SSEEvent(text: "a")])
    }

    @Test("An event larger than the bound sets overflowed and nothing more is read")
    func overflow() {
        let (events, overflowed) = read(
            ["data: 12345\n\n", "data: 1234567890", "12345\n\ndata: x\n\n"], maxEventBytes: 16)
        #expect(events == [SSEEvent(text: "12345")])
        #expect(overflowed)
    }

    @Test("An event's data shows only its length in a description")
    func descriptionRedacts() {
        #expect(SSEEvent(text: "secret").description == "SSEEvent(event: nil, data: [REDACTED len=6])")
    }
}
