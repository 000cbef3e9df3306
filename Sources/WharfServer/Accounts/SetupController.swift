import Crypto
import Foundation
import Hummingbird
import WharfCore
import WharfStorage

/// First-run setup: while no admin exists, `wharf serve` prints a one-time token; `POST /setup` with that token, an
/// email and a password creates the first admin and burns the token. No default password exists anywhere.
public struct SetupController: Sendable {
    static let settingName = "setup_token_sha256"
    let store: WharfStore

    /// Creates the controller.
    public init(store: WharfStore) { self.store = store }

    /// Makes a new setup token when no admin exists; returns it (to print once) or nil when setup is done.
    public static func issueTokenIfNeeded(store: WharfStore) async throws -> String? {
        guard try await !store.hasAdmin() else {
            try await store.setSetting(settingName, nil)
            return nil
        }
        let token = "setup-" + APIKeySecret.generate().value.dropFirst(3)
        try await store.setSetting(settingName, KeyHasher.hash(token))
        return token
    }

    struct SetupRequest: Decodable {
        var token: String
        var email: String
        var password: String
    }

    /// Why setup did not happen.
    enum SetupFailure: Error {
        /// Wrong token, or an admin exists already.
        case refused
        case invalidAccount(AccountError)
    }

    /// Creates the first admin when `token` is the live setup token and no admin exists. The token is burned first,
    /// in one statement, before any other work (the password hash takes a while): of concurrent requests with one
    /// token exactly one goes on. When the account cannot be created (a weak password, say), the token is put back.
    static func complete(store: WharfStore, token: String, email: String, password: String, cost: UInt8) async throws
        -> UserRecord
    {
        let hashed = KeyHasher.hash(token)
        guard try await store.takeSetting(settingName, ifValue: hashed), try await !store.hasAdmin() else {
            throw SetupFailure.refused
        }
        let admin: UserRecord
        do {
            admin = try await AccountService(store: store, cost: cost).createAccount(
                email: email, password: password, role: .admin)
        } catch {
            try? await store.setSetting(settingName, hashed)
            if let error = error as? AccountError { throw SetupFailure.invalidAccount(error) }
            throw error
        }
        try await store.audit(actorID: admin.id, action: "setup.admin_created", target: admin.id)
        return admin
    }

    func addRoutes(to router: Router<WharfRequestContext>) {
        router.post("setup") { request, context -> Response in
            let input = try await request.decode(as: SetupRequest.self, context: context)
            do {
                _ = try await Self.complete(
                    store: store, token: input.token, email: input.email, password: input.password, cost: 12)
            } catch SetupFailure.refused {
                throw HTTPError(.forbidden, message: "The setup token is invalid or setup is already complete.")
            } catch SetupFailure.invalidAccount(let error) {
                throw HTTPError(.badRequest, message: error.description)
            }
            return Response(status: .created, body: .init(byteBuffer: ByteBuffer(string: "admin created\n")))
        }
    }
}
