import Foundation

/// Reads the `usage` object of a provider response (OpenAI chat/completions/embeddings and responses shapes)
/// without decoding the rest of the body.
public enum UsageExtractor {
    struct Wire: Decodable {
        struct Details: Decodable { var cached_tokens: Int64? }
        var prompt_tokens: Int64?
        var completion_tokens: Int64?
        var input_tokens: Int64?
        var output_tokens: Int64?
        var prompt_tokens_details: Details?
        var input_tokens_details: Details?
    }

    /// The usage of a whole JSON body whose top level (or whose `response` member) holds `usage`.
    public static func usage(inBody bytes: [UInt8]) -> TokenUsage? {
        guard let scanner = try? JSONObjectScanner(bytes) else { return nil }
        return usage(in: bytes, scanner: scanner)
    }

    static func usage(in bytes: [UInt8], scanner: JSONObjectScanner) -> TokenUsage? {
        if let r = scanner.range(of: "usage"), bytes[r.lowerBound] == UInt8(ascii: "{") {
            return decode(Array(bytes[r]))
        }
        if let r = scanner.range(of: "response"), bytes[r.lowerBound] == UInt8(ascii: "{") {
            let inner = Array(bytes[r])
            if let s = try? JSONObjectScanner(inner) { return usage(in: inner, scanner: s) }
        }
        return nil
    }

    /// Decodes one usage object.
    public static func decode(_ object: [UInt8]) -> TokenUsage? {
        guard let w = try? JSONDecoder().decode(Wire.self, from: Data(object)) else { return nil }
        let prompt = w.prompt_tokens ?? w.input_tokens ?? 0
        let completion = w.completion_tokens ?? w.output_tokens ?? 0
        let cached = w.prompt_tokens_details?.cached_tokens ?? w.input_tokens_details?.cached_tokens ?? 0
        return TokenUsage(promptTokens: prompt, completionTokens: completion, cachedTokens: cached)
    }
}
