/// How a Claude model takes extended thinking, read from its name: `claude-opus-4-7…` and later only take
/// `{type: "adaptive"}` (+ `output_config.effort`), 4.6 models take both, older ones only `{type: "enabled"}` with a
/// budget. A name that does not parse (a custom deployment) is treated as budget-only, the long-standing form.
public enum AnthropicThinkingMode: Sendable, Equatable {
    /// `{type: "enabled", budget_tokens}` only.
    case budgetOnly
    /// Both forms accepted.
    case adaptiveOrBudget
    /// `{type: "adaptive"}` only; sampling parameters are not taken either.
    case adaptiveOnly

    /// The mode of the model named `model`.
    public init(model: String) {
        guard let version = Self.version(model) else {
            self = .budgetOnly
            return
        }
        if version.major > 4 || (version.major == 4 && version.minor >= 7) {
            self = .adaptiveOnly
        } else if version.major == 4 && version.minor == 6 {
            self = .adaptiveOrBudget
        } else {
            self = .budgetOnly
        }
    }

    /// The `(major, minor)` after `opus-`, `sonnet-` or `haiku-` in `model` (`claude-opus-4-7-20260101` → 4.7); a
    /// minor that looks like a date (8 digits) or is absent counts as 0.
    static func version(_ model: String) -> (major: Int, minor: Int)? {
        let lower = model.lowercased()
        for family in ["opus-", "sonnet-", "haiku-"] {
            guard let range = lower.range(of: family) else { continue }
            let numbers = lower[range.upperBound...].split(separator: "-", omittingEmptySubsequences: false)
            guard let first = numbers.first, let major = Int(first), first.count <= 2 else { return nil }
            let minor = numbers.dropFirst().first.flatMap { $0.count <= 2 ? Int($0) : nil } ?? 0
            return (major, minor)
        }
        return nil
    }
}
