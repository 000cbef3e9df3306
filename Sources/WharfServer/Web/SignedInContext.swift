import HTTPTypes
import Hummingbird
import WharfCore
import WharfStorage

/// The context of console routes: only constructed for a signed-in visitor, so a handler that takes it cannot run
/// for anyone else (others are sent to the sign-in page).
public struct SignedInContext: ChildRequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The visitor, signed in.
    public let visitor: Visitor
    /// The signed-in account.
    public let user: UserRecord
    /// The current session.
    public let session: WebSessionRecord

    public init(context: WharfRequestContext) throws {
        guard let visitor = context.visitor, let user = visitor.user, let session = visitor.session else {
            throw WebRedirect(location: "/login")
        }
        coreContext = context.coreContext
        self.visitor = visitor
        self.user = user
        self.session = session
    }
}

/// The context of admin routes: a signed-in account with at least the support role, reaching the server from an
/// address in the admin allowlist (promise P7). Handlers check the finer role each action needs.
public struct StaffContext: ChildRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let visitor: Visitor
    public let user: UserRecord

    public init(context: WharfRequestContext) throws {
        guard let visitor = context.visitor, let user = visitor.user, visitor.session != nil else {
            throw WebRedirect(location: "/login")
        }
        guard visitor.adminAddressAllowed else { throw WebFailure.adminAddress }
        guard user.role >= .support else { throw WebFailure.forbidden }
        coreContext = context.coreContext
        self.visitor = visitor
        self.user = user
    }

    /// Throws unless the account has at least `role`.
    func require(_ role: Role) throws {
        guard user.role >= role else { throw WebFailure.forbidden }
    }
}
