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
}
