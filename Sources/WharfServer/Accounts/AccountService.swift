import HummingbirdBcrypt
import NIOPosix
import WharfCore
import WharfStorage

/// Account operations shared by the CLI, the setup page and the console: validation and bcrypt hashing around the
/// store.
public struct AccountService: Sendable {
    let store: WharfStore
    /// bcrypt cost factor.
    let cost: UInt8

    /// Creates the service.
    public init(store: WharfStore, cost: UInt8 = 12) {
        self.store = store
        self.cost = cost
    }

    /// Password rules stated to users: 10 to 128 characters.
    public static func validatePassword(_ password: String) throws(AccountError) {
        guard password.count >= 10 else { throw .weakPassword("at least 10 characters") }
        // bcrypt reads a C string: a NUL would end the password early; no control character belongs in one.
        guard !password.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else {
            throw .weakPassword("no control characters")
        }
        // Every byte counts, however long (``PasswordHashing`` pre-hashes past bcrypt's 72 bytes).
        guard password.utf8.count <= 128 * 4, password.count <= 128 else {
            throw .weakPassword("at most 128 characters")
        }
    }

    /// The stated rules plus one about the person: the password must not be their email or username.
    public static func validatePassword(_ password: String, email: String, username: String) throws(AccountError) {
        try validatePassword(password)
        let lowered = password.lowercased()
        guard lowered != email.lowercased(), lowered != username.lowercased() else { throw .personalPassword }
    }

    /// Creates an account. The username defaults to the email's local part (made unique).
    public func createAccount(
        email rawEmail: String, password: String, role: Role, username: String? = nil, phone: String? = nil,
        signUp: SignUpRecord? = nil
    ) async throws -> UserRecord {
        guard let email = EmailAddress(rawEmail) else { throw AccountError.invalidEmail(rawEmail) }
        try Self.validatePassword(password)
        let name = try await store.availableUsername(
            from: username ?? String(email.value.split(separator: "@").first ?? "user"))
        let hash = try await Self.hash(password, cost: cost)
        return try await store.createUser(
            email: email, username: name, passwordHash: hash, role: role, phone: phone, signUp: signUp)
    }

    /// Hashes a password with bcrypt on NIO's blocking-work thread pool: a cost-12 hash takes a quarter of a
    /// second, which must not stall an event loop (they are also the concurrency executor, see `WharfMain`).
    public static func hash(_ password: String, cost: UInt8) async throws -> String {
        try await PasswordHashing.hashOffLoop(password, cost: cost)
    }
}

/// Why an account cannot be created or changed.
public enum AccountError: Error, Equatable, CustomStringConvertible {
    case invalidEmail(String)
    case weakPassword(String)
    case personalPassword

    public var description: String {
        switch self {
        case .invalidEmail(let e): "'\(e)' is not a valid email address"
        case .weakPassword(let rule): "the password must have \(rule)"
        case .personalPassword: "the password must not be the email or username"
        }
    }
}
