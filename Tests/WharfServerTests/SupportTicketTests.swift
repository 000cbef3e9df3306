import Foundation
import Testing
import WharfCore
import WharfServer
import WharfStorage

@Suite("Support tickets in the console")
struct SupportTicketTests {
    @Test("A person opens a ticket, staff answer in the same thread (and by email), the person replies")
    func thread() async throws {
        try await RelayHarness.with { h in
            _ = try await h.makeAccount(email: "tess@example.com", username: "tess", role: .user)
            _ = try await h.makeAccount(email: "staff@example.com", username: "staff", role: .support)
            let tess = WebBrowser(port: h.port)
            try await tess.signIn(email: "tess@example.com")
            try await tess.get("/console/support")
            let empty = try await tess.post("/console/support", [("subject", ""), ("message", "x")])
            #expect(empty.status == 400)
            let opened = try await tess.post(
                "/console/support", [("subject", "Invoice for May"), ("message", "Could I get an invoice?")])
            #expect(opened.status == 303)
            let path = try #require(opened.location?.split(separator: "?").first.map(String.init))
            let page = try await tess.get(path)
            #expect(page.status == 200)
            #expect(page.body.contains("Invoice for May") && page.body.contains("Could I get an invoice?"))
            let ticketID = String(path.split(separator: "/").last ?? "")

            // Another account cannot see it.
            _ = try await h.makeAccount(email: "eve@example.com", username: "eve", role: .user)
            let eve = WebBrowser(port: h.port)
            try await eve.signIn(email: "eve@example.com")
            #expect(try await eve.get(path).status == 404)
            try await eve.get("/console/support")
            #expect(try await eve.post(path + "/reply", [("message", "hijack")]).status == 404)

            // Staff answer from the inbox: the answer is in the thread and queued as an email to the person.
            let staff = WebBrowser(port: h.port)
            try await staff.signIn(email: "staff@example.com")
            let inbox = try await staff.get("/admin/support")
            #expect(inbox.body.contains("Invoice for May"))
            let before = try await h.store.outboxCounts()["pending"] ?? 0
            let answered = try await staff.post(
                "/admin/support/\(ticketID)/reply", [("reply", "Sent to your address.")])
            #expect(answered.status == 303)
            #expect((try await h.store.outboxCounts()["pending"] ?? 0) == before + 1)
            let withAnswer = try await tess.get(path)
            #expect(withAnswer.body.contains("Sent to your address."))
            #expect(withAnswer.body.contains(#"class="reply staff""#))

            // The person replies in the same thread; staff see who wrote it.
            let replied = try await tess.post(path + "/reply", [("message", "Thank you!")])
            #expect(replied.status == 303)
            #expect(
                try await h.store.supportThread(messageID: ticketID).map(\.body) == [
                    "Sent to your address.", "Thank you!",
                ])
            let inboxAgain = try await staff.get("/admin/support")
            #expect(inboxAgain.body.contains("The user wrote"))
            let list = try await tess.get("/console/support")
            #expect(list.body.contains("Invoice for May"))
            // In Chinese too.
            let zh = try await tess.get("/console/support?lang=zh-CN")
            #expect(zh.body.contains("提交工单"))
        }
    }
}
