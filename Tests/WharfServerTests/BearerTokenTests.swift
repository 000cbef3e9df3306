import Testing

@testable import WharfServer

@Suite("Bearer tokens")
struct BearerTokenTests {
    @Test(
        "The scheme is matched in any case, spaces after it are skipped, anything else is no token",
        arguments: [
            ("Bearer sk-abc", "sk-abc"), ("bearer sk-abc", "sk-abc"), ("BEARER   sk-abc", "sk-abc"),
            ("Bearer ", nil), ("Bearer", nil), ("Basic dXNlcjpwYXNz", nil), ("Bearersk-abc", nil),
            ("Bearer  ", ""), ("Bëarer sk-abc", nil),
        ] as [(String, String?)])
    func parses(header: String, token: String?) {
        #expect(KeyAuthenticator.bearerToken(header).map(String.init) == token)
    }
}
