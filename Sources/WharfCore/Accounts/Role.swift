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
}

/// Whether a key works.
public enum KeyStatus: String, Sendable, CaseIterable, Codable {
    case active
    case revoked
}
