import Testing
import WharfUpstream

@Suite("Reducing upstream error bodies")
struct ReducedUpstreamErrorTests {
    @Test("An OpenAI-shaped error keeps only its type and code, never its message")
    func keepsTypeAndCode() {
        let body =
            #"{"error":{"message":"You said: purple-elephant-4711","type":"invalid_request_error","code":"context_length_exceeded"}}"#
        let reduced = ReducedUpstreamError(status: 400, body: Array(body.utf8))
        #expect(reduced.status == 400)
        #expect(reduced.type == "invalid_request_error")
        #expect(reduced.code == "context_length_exceeded")
        #expect(!"\(reduced)".contains("purple-elephant"))
    }

    @Test(
        "Free text smuggled into type or code is dropped",
        arguments: [
            #"{"error":{"type":"purple elephant 4711","code":"ok_code"}}"#,
            #"{"error":{"type":"x","code":"<script>alert(1)</script>"}}"#,
            #"{"error":{"type":"\#(String(repeating: "a", count: 65))"}}"#,
        ])
    func dropsFreeText(body: String) {
        let reduced = ReducedUpstreamError(status: 500, body: Array(body.utf8))
        for value in [reduced.type, reduced.code].compactMap({ $0 }) {
            #expect(value.allSatisfy { $0.isLetter || $0.isNumber || "_-.".contains($0) } && value.count <= 64)
        }
        #expect(reduced.type != "purple elephant 4711")
    }

    @Test("Bodies that are not JSON, or have no error object, reduce to the status alone")
    func nonJSON() {
        for body in ["<html>502 Bad Gateway</html>", "", "[1,2]", #"{"detail":"nope"}"#] {
            let reduced = ReducedUpstreamError(status: 502, body: Array(body.utf8))
            #expect(reduced.type == nil && reduced.code == nil)
        }
    }

    @Test("A top-level type/code shape (as some compatible servers send) is read too")
    func topLevelShape() {
        let reduced = ReducedUpstreamError(status: 429, body: Array(#"{"type":"rate_limit","code":"1302"}"#.utf8))
        #expect(reduced.type == "rate_limit")
        #expect(reduced.code == "1302")
    }
}

@Suite("Which upstream statuses fail over")
struct FailoverStatusTests {
    @Test(
        "5xx, 429, 408, 401, 403 and non-answers fail over; other 4xx are the client's error",
        arguments: [
            (500, true), (502, true), (503, true), (429, true), (408, true), (401, true), (403, true), (302, true),
            (304, true), (100, true), (400, false), (404, false), (413, false), (422, false),
        ])
    func failsOver(status: Int, expected: Bool) {
        #expect(UpstreamError.failsOver(status: status) == expected)
    }
}
