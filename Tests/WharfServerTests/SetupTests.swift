import Foundation
import Testing
import WharfCore
import WharfServer
import WharfStorage

@Suite("First-run setup")
struct SetupTests {
    @Test("Without an admin a one-time token creates the first admin, and it works only once")
    func setupTokenIsSingleUse() async throws {
        try await RelayHarness.with { h in
            let token = try #require(try await SetupController.issueTokenIfNeeded(store: h.store))
            let wrong = try await h.request(
                "/setup", body: #"{"token":"setup-wrong","email":"boss@example.com","password":"a long password"}"#)
            #expect(wrong.status == 403)
            let weak = try await h.request(
                "/setup", body: #"{"token":"\#(token)","email":"boss@example.com","password":"short"}"#)
            #expect(weak.status == 400)
            let ok = try await h.request(
                "/setup", body: #"{"token":"\#(token)","email":"boss@example.com","password":"a long password"}"#)
            #expect(ok.status == 201)
            #expect(try await h.store.user(email: "boss@example.com")?.role == .admin)
            let again = try await h.request(
                "/setup", body: #"{"token":"\#(token)","email":"boss2@example.com","password":"a long password"}"#)
            #expect(again.status == 403)
            #expect(try await SetupController.issueTokenIfNeeded(store: h.store) == nil)
        }
    }

    @Test("Eight concurrent setups with one token make exactly one admin")
    func setupTokenUnderConcurrency() async throws {
        try await RelayHarness.with { h in
            let token = try #require(try await SetupController.issueTokenIfNeeded(store: h.store))
            let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                for i in 0..<8 {
                    group.addTask {
                        try await h.request(
                            "/setup",
                            body: #"{"token":"\#(token)","email":"boss\#(i)@example.com","password":"a long password"}"#
                        ).status
                    }
                }
                return try await group.reduce(into: [Int]()) { $0.append($1) }
            }
            #expect(statuses.filter { $0 == 201 }.count == 1, "\(statuses)")
            #expect(statuses.filter { $0 == 403 }.count == 7)
            var admins = 0
            for i in 0..<8 where try await h.store.user(email: "boss\(i)@example.com")?.role == .admin { admins += 1 }
            #expect(admins == 1)
        }
    }
}
