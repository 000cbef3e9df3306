/// The documented estimator Wharf uses where a provider reports no token counts.
///
/// - A prompt is held at one token per **3** bytes of its JSON text, rounded up (generous, so a hold covers the
///   real count for most scripts, CJK included).
/// - Output actually delivered on a cut stream is billed at one token per **4** bytes of the text the client
///   received (content, reasoning and tool-call argument strings), rounded up.
public enum TokenEstimator {
    /// Prompt tokens to hold for a prompt of `bytes` bytes.
    public static func promptTokensForHold(bytes: Int) -> Int64 { Int64((bytes + 2) / 3) }
    /// Output tokens to bill for `bytes` bytes of delivered text.
    public static func deliveredTokens(bytes: Int) -> Int64 { Int64((bytes + 3) / 4) }
}
