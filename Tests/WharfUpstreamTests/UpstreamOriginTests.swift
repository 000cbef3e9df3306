import NIOCore
import Testing
import WharfCore

@testable import WharfUpstream

@Suite("Upstream origins")
struct UpstreamOriginTests {
    @Test(
        "A base URL splits into the origin connections go to and the path prefix requests start with",
        arguments: [
            ("https://api.openai.com/v1", true, "api.openai.com", 443, "api.openai.com", "/v1"),
            ("http://127.0.0.1:18080/v1/", false, "127.0.0.1", 18080, "127.0.0.1:18080", "/v1"),
            ("HTTP://Example.com", false, "Example.com", 80, "Example.com", ""),
            ("https://[::1]:8443/compatible-mode/v1", true, "::1", 8443, "[::1]:8443", "/compatible-mode/v1"),
        ])
    func parses(url: String, tls: Bool, host: String, port: Int, hostHeader: String, prefix: String) throws {
        let parsed = try #require(UpstreamOrigin.parse(baseURL: url))
        #expect(parsed.origin.tls == tls)
        #expect(parsed.origin.host == host)
        #expect(parsed.origin.port == port)
        #expect(parsed.origin.hostHeader == hostHeader)
        #expect(parsed.pathPrefix == prefix)
    }

    @Test("Base URLs that are not http(s) with a host are refused", arguments: ["ftp://x/v1", "/v1", "https://", ""])
    func refuses(url: String) {
        #expect(UpstreamOrigin.parse(baseURL: url) == nil)
    }

    @Test("Address literals are recognised, so TLS sends no server name for them")
    func addressLiterals() throws {
        #expect(try #require(UpstreamOrigin.parse(baseURL: "https://10.0.0.1/v1")).origin.hostIsAddress)
        #expect(try #require(UpstreamOrigin.parse(baseURL: "https://[fe80::1]/v1")).origin.hostIsAddress)
        #expect(!(try #require(UpstreamOrigin.parse(baseURL: "https://api.deepseek.com")).origin.hostIsAddress))
    }

    @Test("A relayed request head carries the host, the key and the exact length, under the base path")
    func postHead() {
        let channel = Channel(
            id: "chn_1", name: "c", provider: .openaiCompatible, baseURL: "http://127.0.0.1:9/compatible/v1/",
            models: ["m"])
        let target = UpstreamTarget(channel: channel, apiKey: "sk-up")
        let head = target.postHead("/chat/completions", contentLength: 42)
        #expect(
            String(buffer: head)
                == "POST /compatible/v1/chat/completions HTTP/1.1\r\nhost: 127.0.0.1:9\r\n"
                + "content-type: application/json\r\naccept: application/json, text/event-stream\r\n"
                + "authorization: Bearer sk-up\r\ncontent-length: 42\r\n\r\n")
    }

    @Test(
        "A host that decodes to a line break or a space makes the channel unusable (a path stays percent-encoded)",
        arguments: ["http://exa%0d%0ample.com/v1", "http://exa%20mple.com/v1", "http://exa%0ample.com"])
    func unsafeBaseURL(url: String) {
        let channel = Channel(id: "chn_1", name: "c", provider: .openai, baseURL: url, models: ["m"])
        #expect(UpstreamTarget(channel: channel, apiKey: "sk-up").origin == nil)
    }

    @Test("A key with a line break or another control character makes the channel unusable")
    func unsafeKey() {
        let channel = Channel(
            id: "chn_1", name: "c", provider: .openai, baseURL: "https://api.openai.com/v1", models: ["m"])
        for key in ["sk-a\r\nX-Evil: 1", "sk-a\nb", "sk-\u{0}", "sk-\u{7F}", "sk-\u{1B}[0m"] {
            #expect(UpstreamTarget(channel: channel, apiKey: key).origin == nil, "\(key.debugDescription)")
        }
        #expect(UpstreamTarget(channel: channel, apiKey: "sk-a").origin != nil)
    }
}
