import Testing
import WharfPayments

@Suite("Stripe webhook signatures")
struct StripeWebhookTests {
    static let secret = "whsec_test_secret"
    static let payload = Array(
        (#"{"id":"evt_test_1","object":"event","type":"checkout.session.completed","data":{"object":{"id":"cs_test_1","#
            + #""object":"checkout.session","client_reference_id":"ord_01","amount_total":1000,"currency":"usd","#
            + #""payment_status":"paid"}}}"#).utf8)
    static let v1 = "fbe8dbb1788dfe84c1b14db5f62e82cd94aee56bf2abd7c225130d75359b9738"
    static let header = "t=1700000000,v1=\(v1)"

    static func verify(
        _ header: String = header, payload: [UInt8] = payload, secret: String = secret, now: Int64 = 1_700_000_000
    ) throws(PaymentRejection) {
        try StripeWebhook.verify(payload: payload, header: header, secret: secret, now: now)
    }

    @Test("The research header is produced for the payload and accepted at now = 1700000000")
    func researchVector() throws {
        #expect(
            StripeWebhook.signatureHeader(payload: Self.payload, secret: Self.secret, timestamp: 1_700_000_000)
                == Self.header)
        try Self.verify()
    }

    @Test("The window is 300 s both ways: 1700000300 and 1699999700 pass, 1700000301 and 1699999600 fail")
    func window() throws {
        try Self.verify(now: 1_700_000_300)
        try Self.verify(now: 1_699_999_700)
        #expect(throws: PaymentRejection.staleTimestamp) { try Self.verify(now: 1_700_000_301) }
        #expect(throws: PaymentRejection.staleTimestamp) { try Self.verify(now: 1_699_999_600) }
        #expect(throws: PaymentRejection.staleTimestamp) { try Self.verify(now: Int64.min) }
    }

    @Test("Any v1 may match while a secret is being rolled; v0 is ignored")
    func severalSignatures() throws {
        let wrong = String(repeating: "0", count: 64)
        try Self.verify("t=1700000000,v1=\(wrong),v1=\(Self.v1)")
        try Self.verify("t=1700000000, v1=\(Self.v1), v0=\(wrong)")
        try Self.verify("v0=\(wrong),v1=\(Self.v1),t=1700000000,scheme=x")
        #expect(throws: PaymentRejection.malformed("signature header has no v1 signature")) {
            try Self.verify("t=1700000000,v0=\(Self.v1)")
        }
        #expect(throws: PaymentRejection.badSignature) { try Self.verify("t=1700000000,v1=\(wrong)") }
    }

    @Test("An empty or blank secret is refused even with a header signed by the empty key")
    func emptySecret() {
        let forged = StripeWebhook.signatureHeader(payload: Self.payload, secret: "", timestamp: 1_700_000_000)
        #expect(throws: PaymentRejection.missingSecret) { try Self.verify(forged, secret: "") }
        #expect(throws: PaymentRejection.missingSecret) { try Self.verify(forged, secret: " \n") }
    }

    @Test("One changed payload byte is refused")
    func changedByte() {
        var payload = Self.payload
        if let index = payload.firstIndex(of: UInt8(ascii: "1")) { payload[index] = UInt8(ascii: "2") }
        #expect(payload != Self.payload)
        #expect(throws: PaymentRejection.badSignature) { try Self.verify(payload: payload) }
        var extra = Self.payload
        extra.append(UInt8(ascii: " "))
        #expect(throws: PaymentRejection.badSignature) { try Self.verify(payload: extra) }
    }

    @Test("The whsec_ prefix is part of the key")
    func prefixKept() {
        #expect(throws: PaymentRejection.badSignature) { try Self.verify(secret: "test_secret") }
    }

    @Test(
        "A header without a usable timestamp is malformed",
        arguments: [
            "", "v1=abc", "t=,v1=abc", "t=abc,v1=abc", "t=-1,v1=abc", "t=01700000000,v1=abc", "t=1,t=2,v1=abc",
            "t=1700000000.5,v1=abc",
        ])
    func malformedHeader(header: String) {
        var malformed = false
        do throws(PaymentRejection) {
            try Self.verify(header)
        } catch {
            if case .malformed = error { malformed = true }
        }
        #expect(malformed)
    }

    @Test("A rejection's description shows no signature value")
    func descriptionIsClean() {
        do throws(PaymentRejection) {
            try Self.verify("t=1700000000,v1=deadbeef")
            Issue.record("accepted a wrong signature")
        } catch {
            #expect(error == .badSignature)
            #expect(!error.description.contains("deadbeef"))
            #expect(!error.description.contains(Self.secret))
        }
    }
}
