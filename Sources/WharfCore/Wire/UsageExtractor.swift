/// Reads the `usage` object of a provider response (OpenAI chat/completions/embeddings and responses shapes)
/// without decoding the rest of the body, and without a JSON decoder (this runs once per relayed request).
public enum UsageExtractor {
    /// The usage of a whole JSON body whose top level (or whose `response` member) holds `usage`.
    public static func usage(inBody bytes: [UInt8]) -> TokenUsage? {
        guard let scanner = try? JSONObjectScanner(bytes) else { return nil }
        return usage(in: bytes, scanner: scanner)
    }

    /// The same, read in place: the body is checked to be one JSON object (``JSONScanError`` when it is not) but not
    /// copied, and only the `usage` and `response` keys are compared. This runs once per non-streamed answer.
    public static func usage(inBody bytes: UnsafeBufferPointer<UInt8>) throws(JSONScanError) -> TokenUsage? {
        var usage: Range<Int>?
        var response: Range<Int>?
        _ = try JSONObjectScanner.scanTopLevel(bytes) { key, value throws(JSONScanError) in
            if try JSONObjectScanner.keyMatches(bytes, key, "usage") {
                usage = value
            } else if try JSONObjectScanner.keyMatches(bytes, key, "response") {
                response = value
            }
        }
        if let r = usage, bytes[r.lowerBound] == UInt8(ascii: "{") { return decode(Array(bytes[r])) }
        if let r = response, bytes[r.lowerBound] == UInt8(ascii: "{") { return self.usage(inBody: Array(bytes[r])) }
        return nil
    }

    /// The same, for a body already scanned.
    public static func usage(in bytes: [UInt8], scanner: JSONObjectScanner) -> TokenUsage? {
        if let r = scanner.range(of: "usage"), bytes[r.lowerBound] == UInt8(ascii: "{") {
            return decode(Array(bytes[r]))
        }
        if let r = scanner.range(of: "response"), bytes[r.lowerBound] == UInt8(ascii: "{") {
            let inner = Array(bytes[r])
            if let s = try? JSONObjectScanner(inner) { return usage(in: inner, scanner: s) }
        }
        return nil
    }

    /// Decodes one usage object; nil when it holds no token count at all.
    public static func decode(_ object: [UInt8]) -> TokenUsage? {
        guard let scanner = try? JSONObjectScanner(object) else { return nil }
        func count(_ key: String, in bytes: [UInt8], _ s: JSONObjectScanner) -> Int64? {
            guard let r = s.range(of: key), let text = String(validating: bytes[r], as: UTF8.self) else { return nil }
            return Int64(text)
        }
        func cached(_ key: String) -> Int64? {
            guard let r = scanner.range(of: key), object[r.lowerBound] == UInt8(ascii: "{") else { return nil }
            let inner = Array(object[r])
            guard let s = try? JSONObjectScanner(inner) else { return nil }
            return count("cached_tokens", in: inner, s)
        }
        let prompt = count("prompt_tokens", in: object, scanner) ?? count("input_tokens", in: object, scanner)
        let completion = count("completion_tokens", in: object, scanner) ?? count("output_tokens", in: object, scanner)
        guard prompt != nil || completion != nil else { return nil }
        return TokenUsage(
            promptTokens: prompt ?? 0, completionTokens: completion ?? 0,
            cachedTokens: cached("prompt_tokens_details") ?? cached("input_tokens_details") ?? 0)
    }
}
