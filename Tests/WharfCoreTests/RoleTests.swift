import Testing
import WharfCore

@Suite("Roles")
struct RoleTests {
    @Test("Roles order from least to most privileged")
    func ordering() {
        #expect(Role.allCases == [.user, .support, .finance, .admin, .root])
        #expect(Role.allCases.shuffled().sorted() == Role.allCases)
        #expect(Role.user < .support)
        #expect(Role.support < .finance)
        #expect(Role.finance < .admin)
        #expect(Role.admin < .root)
        #expect(!(Role.root < .root))
        #expect(Role.allCases.max() == .root)
        #expect(Role.allCases.min() == .user)
    }

    @Test(
        "Each role is strictly below every role after it",
        arguments: Role.allCases.enumerated().flatMap { i, a in
            Role.allCases.enumerated().map { j, b in (a, b, i < j) }
        }
    )
    func pairwise(lhs: Role, rhs: Role, less: Bool) {
        #expect((lhs < rhs) == less)
        #expect((lhs >= rhs) == !less)
    }

    @Test("Roles and statuses are stored by their raw names")
    func rawValues() {
        #expect(Role.allCases.map(\.rawValue) == ["user", "support", "finance", "admin", "root"])
        #expect(AccountStatus(rawValue: "pending_deletion") == .pendingDeletion)
        #expect(KeyStatus.allCases.map(\.rawValue) == ["active", "revoked"])
    }
}
