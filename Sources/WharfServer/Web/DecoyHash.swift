import Synchronization

/// A bcrypt hash of a random password, made once on first use: sign-in checks an unknown email against it so that
/// the answer takes as long as for a known email with a wrong password.
final class DecoyHash: Sendable {
    private let cached = Mutex<String?>(nil)

    /// The hash (made on the first call).
    func hash(cost: UInt8) async throws -> String {
        if let made = cached.withLock({ $0 }) { return made }
        let made = try await AccountService.hash(SessionTokens.generate(), cost: cost)
        cached.withLock { $0 = $0 ?? made }
        return made
    }
}
