/// An error in the data of a mail, found before any connection is made.
public enum MailError: Error, Sendable, Hashable, CustomStringConvertible {
    /// An address or display name that could not be used safely: the reason says which rule it broke.
    case invalidAddress(reason: String)

    /// A short, safe description (it never repeats the rejected value, which may hold an injection attempt).
    public var description: String {
        switch self {
        case .invalidAddress(let reason): "invalid mail address: \(reason)"
        }
    }
}
