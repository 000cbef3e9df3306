import Testing

@testable import WharfServer

@Suite("Relayed endpoints")
struct RelayEndpointTests {
    @Test(
        "A request path names a relayed endpoint whatever its query string or trailing slashes; other paths do not",
        arguments: [
            ("/v1/chat/completions", RelayEngine.Endpoint.chat), ("/v1/chat/completions/", .chat),
            ("/v1/chat/completions?x=1", .chat), ("/v1/chat/completions//?a=/", .chat),
            ("/v1/completions", .completions), ("/v1/embeddings", .embeddings), ("/v1/responses", .responses),
            ("/v1/chat/completion", nil), ("/v1/chat/completionsx", nil), ("/V1/chat/completions", nil),
            ("/v1/models", nil), ("/", nil), ("", nil), ("?", nil), ("/v1/chat/completions%2F", nil),
            ("//v1/chat/completions", nil),
        ] as [(String, RelayEngine.Endpoint?)])
    func endpoint(path: String, expected: RelayEngine.Endpoint?) {
        #expect(RelayEngine.Endpoint(requestPath: path) == expected)
    }
}
