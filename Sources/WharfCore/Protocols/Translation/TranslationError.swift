/// A client body that cannot be read or translated: answered 400 in the client's dialect. The message names the
/// field and the problem, never the content.
public struct TranslationError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What is wrong, in words safe to show the client (no content from the body).
    public var message: String
    /// The offending field as a path (`messages[2].role`), when one is to blame.
    public var param: String?

    /// Creates an error.
    public init(_ message: String, param: String? = nil) {
        self.message = message
        self.param = param
    }

    /// The message and the field.
    public var description: String { param.map { "\(message) (\($0))" } ?? message }
}
