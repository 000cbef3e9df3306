import Testing
import WharfCore

@Suite("Token estimator")
struct TokenEstimatorTests {
    @Test(
        "A prompt is held at one token per 3 bytes, rounded up",
        arguments: [(0, 0), (1, 1), (2, 1), (3, 1), (4, 2), (6, 2), (7, 3), (3_000, 1_000)] as [(Int, Int64)]
    )
    func promptHold(bytes: Int, tokens: Int64) {
        #expect(TokenEstimator.promptTokensForHold(bytes: bytes) == tokens)
    }

    @Test(
        "Delivered output is billed at one token per 4 bytes, rounded up",
        arguments: [(0, 0), (1, 1), (3, 1), (4, 1), (5, 2), (8, 2), (9, 3), (29, 8)] as [(Int, Int64)]
    )
    func delivered(bytes: Int, tokens: Int64) {
        #expect(TokenEstimator.deliveredTokens(bytes: bytes) == tokens)
    }
}
