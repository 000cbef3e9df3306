import Testing
import WharfCore

@Suite("Token estimator")
struct TokenEstimatorTests {
    @Test(
        "A prompt is estimated at one token per 3 bytes of the body, rounded up",
        arguments: [(0, 0), (1, 1), (2, 1), (3, 1), (4, 2), (6, 2), (7, 3), (3_000, 1_000)] as [(Int, Int64)]
    )
    func promptHold(bytes: Int, tokens: Int64) {
        #expect(TokenEstimator.promptTokens(bodyBytes: bytes) == tokens)
    }

    @Test(
        "Output is estimated at one token per 4 bytes of generated text, rounded up",
        arguments: [(0, 0), (1, 1), (3, 1), (4, 1), (5, 2), (8, 2), (9, 3), (29, 8)] as [(Int, Int64)]
    )
    func delivered(bytes: Int, tokens: Int64) {
        #expect(TokenEstimator.outputTokens(textBytes: bytes) == tokens)
    }
}
