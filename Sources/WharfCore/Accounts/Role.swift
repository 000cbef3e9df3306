/// Roles, from least to most privileged. Each grants only what its work needs (promise P7).
public enum Role: String, Sendable, CaseIterable, Codable, Comparable {
    case user
    case support
    case finance
    case admin
    case root

    var rank: Int {
        switch self {
        case .user: 0
        case .support: 1
        case .finance: 2
        case .admin: 3
        case .root: 4
        }
    }

    public static func < (lhs: Role, rhs: Role) -> Bool { lhs.rank < rhs.rank }
}

/// Whether an account may sign in and use its keys.
public enum AccountStatus: String, Sendable, CaseIterable, Codable {
    case active
    case disabled
    /// Erasure requested; the grace period runs.
    case pendingDeletion = "pending_deletion"
    /// Restricted by its owner: every key is refused, nothing is deleted; the owner may sign in and unfreeze it.
    case frozen
    /// Erased: no personal data is left; the row remains under its pseudonymous id for the payment records.
    case erased

    /// Whether the owner may sign in to the console.
    public var canSignIn: Bool { self == .active || self == .frozen }
}

/// Whether a key works.
public enum KeyStatus: String, Sendable, CaseIterable, Codable {
    case active
    case revoked
}
