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

    func addRoutes(to router: Router<WharfRequestContext>) {
        router.post("setup") { request, context -> Response in
            let input = try await request.decode(as: SetupRequest.self, context: context)
            guard let expected = try await store.setting(Self.settingName),
                KeyHasher.hash(input.token) == expected, try await !store.hasAdmin()
            else {
                throw HTTPError(.forbidden, message: "The setup token is invalid or setup is already complete.")
            }
            do {
                _ = try await AccountService(store: store).createAccount(
                    email: input.email, password: input.password, role: .admin)
            } catch let error as AccountError {
                throw HTTPError(.badRequest, message: error.description)
            }
            try await store.setSetting(Self.settingName, nil)
            return Response(status: .created, body: .init(byteBuffer: ByteBuffer(string: "admin created\n")))
        }
    }
}
