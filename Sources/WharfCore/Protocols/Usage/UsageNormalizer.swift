/// Reads each dialect's usage object into the one normalised ``TokenUsage`` (OpenAI's meaning). This is the only
/// place that knows what the providers' fields mean; the biller sees disjoint buckets only.
///
/// | | all input | cache read | cache write | output | reasoning |
/// |---|---|---|---|---|---|
/// | OpenAI | `prompt_tokens` (cached included) | `prompt_tokens_details.cached_tokens` | `prompt_tokens_details.cache_write_tokens` (OpenRouter) | `completion_tokens` | `completion_tokens_details.reasoning_tokens` |
/// | Anthropic | `input_tokens` + both cache fields | `cache_read_input_tokens` | `cache_creation_input_tokens` | `output_tokens` | `output_tokens_details.thinking_tokens` |
/// | Gemini | `promptTokenCount` (cached included) + `toolUsePromptTokenCount` | `cachedContentTokenCount` | — | `candidatesTokenCount` + `thoughtsTokenCount` | `thoughtsTokenCount` |
///
/// A count that is present but not a whole number from 0 to ``UsageExtractor/maxCount`` makes the usage unreadable
/// (nil): the estimate is billed rather than a silent 0.
public enum UsageNormalizer {
    /// An OpenAI chat or Responses `usage` object.
    public static func openAI(_ usage: JSONValue) -> TokenUsage? {
        guard usage.isObject else { return nil }
        var reader = CountReader()
        let prompt = reader.count(usage["prompt_tokens"]) ?? reader.count(usage["input_tokens"])
        let completion = reader.count(usage["completion_tokens"]) ?? reader.count(usage["output_tokens"])
        let promptDetails = usage["prompt_tokens_details"] ?? usage["input_tokens_details"]
        let completionDetails = usage["completion_tokens_details"] ?? usage["output_tokens_details"]
        let cached = reader.count(promptDetails?["cached_tokens"]) ?? 0
        let written = reader.count(promptDetails?["cache_write_tokens"]) ?? 0
        let reasoning = reader.count(completionDetails?["reasoning_tokens"]) ?? 0
        guard !reader.unreadable, prompt != nil || completion != nil else { return nil }
        return TokenUsage(
            promptTokens: prompt ?? 0, completionTokens: completion ?? 0, cachedTokens: min(cached, prompt ?? 0),
            cacheWriteTokens: min(written, max(0, (prompt ?? 0) - cached)),
            reasoningTokens: min(reasoning, completion ?? 0))
    }

    /// An Anthropic `usage` object (of a message, `message_start` or `message_delta`). `input_tokens` there excludes
    /// both cache fields, which are added to make the prompt.
    public static func anthropic(_ usage: JSONValue) -> TokenUsage? {
        guard usage.isObject else { return nil }
        var reader = CountReader()
        let input = reader.count(usage["input_tokens"])
        let output = reader.count(usage["output_tokens"])
        let read = reader.count(usage["cache_read_input_tokens"]) ?? 0
        let written = reader.count(usage["cache_creation_input_tokens"]) ?? 0
        let thinking = reader.count(usage["output_tokens_details"]?["thinking_tokens"]) ?? 0
        guard !reader.unreadable, input != nil || output != nil else { return nil }
        return TokenUsage(
            promptTokens: (input ?? 0) + read + written, completionTokens: output ?? 0, cachedTokens: read,
            cacheWriteTokens: written, reasoningTokens: min(thinking, output ?? 0))
    }

    /// Anthropic usage fields present in `usage` laid over `earlier` (a `message_delta` over `message_start`): a
    /// field the delta carries replaces the earlier value, a field it lacks keeps it. Never a sum. Some
    /// Anthropic-compatible servers repeat the input fields as zeros in `message_delta`: when every input field the
    /// delta carries is zero, `message_start`'s input stands; the output (a running total) never goes down.
    public static func anthropic(_ usage: JSONValue, over earlier: TokenUsage?) -> TokenUsage? {
        guard let earlier else { return anthropic(usage) }
        guard usage.isObject else { return earlier }
        var reader = CountReader()
        let input = reader.count(usage["input_tokens"])
        let output = reader.count(usage["output_tokens"])
        let read = reader.count(usage["cache_read_input_tokens"])
        let written = reader.count(usage["cache_creation_input_tokens"])
        let thinking = reader.count(usage["output_tokens_details"]?["thinking_tokens"])
        guard !reader.unreadable else { return nil }
        // The input fields as a group: all those present zero means "not repeated", anything else replaces.
        let inputs = [input, read, written].compactMap { $0 }
        let zeroed = !inputs.isEmpty && inputs.allSatisfy { $0 == 0 }
        let newRead = zeroed ? earlier.cachedTokens : read ?? earlier.cachedTokens
        let newWritten = zeroed ? earlier.cacheWriteTokens : written ?? earlier.cacheWriteTokens
        let newInput = zeroed ? earlier.uncachedPromptTokens : input ?? earlier.uncachedPromptTokens
        let newOutput = max(output ?? 0, earlier.completionTokens)
        return TokenUsage(
            promptTokens: newInput + newRead + newWritten, completionTokens: newOutput, cachedTokens: newRead,
            cacheWriteTokens: newWritten, reasoningTokens: min(thinking ?? earlier.reasoningTokens, newOutput))
    }

    /// A Gemini `usageMetadata` object. `promptTokenCount` already holds `cachedContentTokenCount`;
    /// `thoughtsTokenCount` is output the candidates count leaves out.
    public static func gemini(_ usage: JSONValue) -> TokenUsage? {
        guard usage.isObject else { return nil }
        var reader = CountReader()
        let prompt = reader.count(usage["promptTokenCount"])
        let toolPrompt = reader.count(usage["toolUsePromptTokenCount"]) ?? 0
        let candidates = reader.count(usage["candidatesTokenCount"])
        let thoughts = reader.count(usage["thoughtsTokenCount"]) ?? 0
        let cached = reader.count(usage["cachedContentTokenCount"]) ?? 0
        guard !reader.unreadable, prompt != nil || candidates != nil else { return nil }
        let allPrompt = (prompt ?? 0) + toolPrompt
        return TokenUsage(
            promptTokens: allPrompt, completionTokens: (candidates ?? 0) + thoughts,
            cachedTokens: min(cached, allPrompt),
            reasoningTokens: thoughts)
    }

    /// Reads token counts, remembering whether any present count was not a believable whole number.
    struct CountReader {
        var unreadable = false

        mutating func count(_ value: JSONValue?) -> Int64? {
            guard let value, !value.isNull else { return nil }
            guard let n = value.integer, (0...UsageExtractor.maxCount).contains(n) else {
                unreadable = true
                return nil
            }
            return n
        }
    }
}

extension UsageNormalizer {
    /// The normalised usage of `dialect`'s usage object.
    public static func usage(_ object: JSONValue, dialect: Dialect) -> TokenUsage? {
        switch dialect {
        case .openAIChat: openAI(object)
        case .anthropicMessages: anthropic(object)
        case .gemini: gemini(object)
        }
    }

    /// The usage of a whole non-streamed answer in `dialect`: `usage` (OpenAI, Anthropic) or `usageMetadata`
    /// (Gemini) at its top level.
    public static func usage(inAnswer answer: JSONValue, dialect: Dialect) -> TokenUsage? {
        switch dialect {
        case .openAIChat: answer["usage"].flatMap(openAI) ?? answer["response"]?["usage"].flatMap(openAI)
        case .anthropicMessages: answer["usage"].flatMap(anthropic)
        case .gemini: answer["usageMetadata"].flatMap(gemini)
        }
    }
}
