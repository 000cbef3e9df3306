/// The documented estimator Wharf uses where a provider reports no token counts, and for the hold.
///
/// - A prompt is estimated at one token per **3** bytes of the whole request body, rounded up (generous, so it
///   covers the real count for most scripts, CJK included, and every member that can reach the model: messages,
///   tools, response format and the rest).
/// - Output is estimated at one token per **4** bytes of the decoded generated text, rounded up (content, reasoning
///   and tool-call arguments, in every choice).
public enum TokenEstimator {
    /// Prompt tokens estimated for a request body of `bytes` bytes.
    public static func promptTokens(bodyBytes bytes: Int) -> Int64 { Int64((bytes + 2) / 3) }
    /// Output tokens estimated for `textBytes` bytes of generated text.
    public static func outputTokens(textBytes bytes: Int) -> Int64 { Int64((bytes + 3) / 4) }
}
