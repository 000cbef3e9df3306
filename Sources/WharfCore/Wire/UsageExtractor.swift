/// Reads the `usage` object of a provider response (OpenAI chat/completions/embeddings and responses shapes)
/// without decoding the rest of the body, and without a JSON decoder (this runs once per relayed request).
public enum UsageExtractor {
    /// The usage of a whole JSON body whose top level (or whose `response` member) holds `usage`; nil when the body
    /// is not a JSON object or holds no usage.
    public static func usage(inBody bytes: [UInt8]) -> TokenUsage? {
        bytes.withUnsafeBufferPointer { try? usage(inBody: $0) } ?? nil
    }

    /// The same, read in place: the body is checked to be one JSON object (``JSONScanError`` when it is not) but not
    /// copied, and only the `usage` and `response` keys are compared. This runs once per non-streamed answer.
    public static func usage(inBody bytes: UnsafeBufferPointer<UInt8>) throws(JSONScanError) -> TokenUsage? {
        let found = try JSONObjectScanner.lastMembers(named: ["usage", "response"], in: bytes).ranges
        if let r = found[0], bytes[r.lowerBound] == UInt8(ascii: "{") {
            return decode(UnsafeBufferPointer(rebasing: bytes[r]))
        }
        if let r = found[1], bytes[r.lowerBound] == UInt8(ascii: "{") {
            return try? usage(inBody: UnsafeBufferPointer(rebasing: bytes[r]))
        }
        return nil
    }

    /// Decodes one usage object; nil when it holds no token count at all.
    public static func decode(_ object: [UInt8]) -> TokenUsage? {
        object.withUnsafeBufferPointer { decode($0) }
    }

    /// The same, in place.
    static func decode(_ object: UnsafeBufferPointer<UInt8>) -> TokenUsage? {
        let keys = [
            "prompt_tokens", "input_tokens", "completion_tokens", "output_tokens", "prompt_tokens_details",
            "input_tokens_details",
        ]
        guard let found = try? JSONObjectScanner.lastMembers(named: keys, in: object).ranges else { return nil }
        // A count present but not a whole number from 0 to a billion (57.0, "57", a sentinel near Int64.max) makes
        // the whole usage unreadable: the estimate is billed instead of a silent 0 or an overflow.
        var unreadable = false
        func count(_ range: Range<Int>?, in bytes: UnsafeBufferPointer<UInt8>) -> Int64? {
            guard let range else { return nil }
            guard let text = String(validating: bytes[range], as: UTF8.self), let v = Int64(text),
                (0...Self.maxCount).contains(v)
            else {
                if !(bytes[range].elementsEqual("null".utf8)) { unreadable = true }
                return nil
            }
            return v
        }
        func cached(_ range: Range<Int>?) -> Int64? {
            guard let range, object[range.lowerBound] == UInt8(ascii: "{") else { return nil }
            let inner = UnsafeBufferPointer(rebasing: object[range])
            guard let found = try? JSONObjectScanner.lastMembers(named: ["cached_tokens"], in: inner).ranges else {
                return nil
            }
            return count(found[0], in: inner)
        }
        let prompt = count(found[0], in: object) ?? count(found[1], in: object)
        let completion = count(found[2], in: object) ?? count(found[3], in: object)
        let cachedCount = cached(found[4]) ?? cached(found[5]) ?? 0
        guard !unreadable, prompt != nil || completion != nil else { return nil }
        return TokenUsage(
            promptTokens: prompt ?? 0, completionTokens: completion ?? 0,
            cachedTokens: cachedCount)
    }

    /// The largest token count believed.
    public static let maxCount: Int64 = 1_000_000_000
}
