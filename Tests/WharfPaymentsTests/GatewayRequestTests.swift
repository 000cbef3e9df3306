import Testing
import WharfPayments

@Suite("Redacting secrets from requests and logged text")
struct GatewayRequestTests {
    static let key = "89unJUB8HZ54Hj7x4nUj56HN4nUzUJ8i"

    @Test("Query values of key, sign, hash and signature are masked in any text")
    func redactsQuery() {
        let url = "https://pay.example/api.php?act=order&pid=1001&key=\(Self.key)&out_trade_no=W1"
        #expect(GatewayURL.redacted(url) == "https://pay.example/api.php?act=order&pid=1001&key=***&out_trade_no=W1")
        let text = "error: GET https://x/notify?sign=abc123&sign_type=MD5&hash=ff00 failed; SIGNATURE=zz"
        #expect(
            GatewayURL.redacted(text)
                == "error: GET https://x/notify?sign=***&sign_type=MD5&hash=*** failed; SIGNATURE=***")
    }

    @Test("Names that only end like a secret name are left alone unless they are secret-like")
    func boundaries() {
        #expect(GatewayURL.redacted("monkey=1&keyword=2") == "monkey=1&keyword=2")
        #expect(GatewayURL.redacted("api_key=abc&x-api-key=def") == "api_key=***&x-api-key=***")
        #expect(GatewayURL.redacted("key=") == "key=")
    }

    @Test("JSON members and bearer credentials are masked too")
    func redactsJSONAndBearer() {
        let text = #"{"order_id":"W1","signature": "5a8eb4f8","token":"abc"} Authorization: Bearer sk_test_123"#
        #expect(
            GatewayURL.redacted(text)
                == #"{"order_id":"W1","signature": "***","token":"***"} Authorization: Bearer ***"#)
    }

    @Test("A request's description never contains the key, the bearer token or the body")
    func descriptionHidesSecrets() throws {
        let epay = EpayConfig(baseURL: "https://pay.example/", merchantID: "1001", key: Self.key)
        let query = try EpayProtocol.queryRequest(epay, orderNo: "W1")
        #expect(query.url.contains(Self.key))
        #expect(!query.description.contains(Self.key))
        #expect(query.description.hasPrefix("GET https://pay.example/api.php?act=order&pid=1001&key=***"))

        let refund = try EpayProtocol.refundRequest(epay, orderNo: "W1", amountMinor: 100)
        #expect(!refund.description.contains(Self.key))
        #expect(refund.description.contains("(body "))

        let stripe = StripeConfig(secretKey: "sk_test_supersecret", webhookSecret: "whsec_x")
        let session = try StripeProtocol.getSessionRequest(stripe, sessionID: "cs_test_1")
        #expect(session.header("authorization") == "Bearer sk_test_supersecret")
        #expect(!session.description.contains("supersecret"))
        #expect(session.description.contains("Authorization: ***"))
    }
}
