import Testing
import WharfPayments

@Suite("Stripe Checkout and refund calls")
struct StripeProtocolTests {
    static let config = StripeConfig(
        apiBase: "https://api.stripe.com/", secretKey: "sk_test_123", webhookSecret: "whsec_test_secret")

    static func form(_ request: GatewayRequest) throws -> [String: String] {
        try FormParameters.parse(String(decoding: request.body ?? [], as: UTF8.self))
    }

    @Test("The session request carries the bracket keys of research §3.1 and the pinned headers")
    func createSession() throws {
        let request = try StripeProtocol.createSessionRequest(
            Self.config, orderNo: "ord_01", amountMinor: 1000, currency: "USD", productName: "Wharf credit top-up",
            successURL: "https://host/topup/return?session_id={CHECKOUT_SESSION_ID}",
            cancelURL: "https://host/topup/cancel",
            expiresAt: 1_700_001_800)
        #expect(request.method == "POST")
        #expect(request.url == "https://api.stripe.com/v1/checkout/sessions")
        #expect(request.header("Authorization") == "Bearer sk_test_123")
        #expect(request.header("Stripe-Version") == "2024-06-20")
        #expect(request.header("Idempotency-Key") == "checkout-create:ord_01")
        #expect(request.header("Content-Type") == "application/x-www-form-urlencoded")
        let form = try Self.form(request)
        #expect(
            form == [
                "mode": "payment",
                "line_items[0][price_data][currency]": "usd",
                "line_items[0][price_data][unit_amount]": "1000",
                "line_items[0][price_data][product_data][name]": "Wharf credit top-up",
                "line_items[0][quantity]": "1",
                "client_reference_id": "ord_01",
                "metadata[wharf_order_id]": "ord_01",
                "payment_intent_data[metadata][wharf_order_id]": "ord_01",
                "success_url": "https://host/topup/return?session_id={CHECKOUT_SESSION_ID}",
                "cancel_url": "https://host/topup/cancel",
                "expires_at": "1700001800",
            ])
        let body = String(decoding: request.body ?? [], as: UTF8.self)
        #expect(body.hasPrefix("mode=payment&line_items%5B0%5D%5Bprice_data%5D%5Bcurrency%5D=usd&"))
        #expect(!request.description.contains("sk_test_123"))
    }

    @Test("A zero-decimal currency sends the yen amount as is")
    func zeroDecimal() throws {
        let request = try StripeProtocol.createSessionRequest(
            Self.config, orderNo: "o", amountMinor: 500, currency: "jpy", productName: "p", successURL: "s",
            cancelURL: "c", expiresAt: 1)
        #expect(try Self.form(request)["line_items[0][price_data][unit_amount]"] == "500")
        #expect(CurrencyAmount.exponent(for: "jpy") == 0)
    }

    @Test("An empty secret key, a bad currency or a non-positive amount is refused")
    func refusals() {
        let empty = StripeConfig(secretKey: "", webhookSecret: "whsec_x")
        #expect(throws: PaymentRejection.missingSecret) {
            try StripeProtocol.createSessionRequest(
                empty, orderNo: "o", amountMinor: 1, currency: "usd", productName: "p", successURL: "s", cancelURL: "c",
                expiresAt: 1)
        }
        #expect(throws: PaymentRejection.missingSecret) {
            try StripeProtocol.getSessionRequest(empty, sessionID: "cs_1")
        }
        #expect(throws: PaymentRejection.missingSecret) {
            try StripeProtocol.refundRequest(
                empty, paymentIntent: "pi_1", amountMinor: 1, orderNo: "o", idempotencyKey: "k")
        }
        #expect(throws: PaymentRejection.self) {
            try StripeProtocol.createSessionRequest(
                Self.config, orderNo: "o", amountMinor: 1, currency: "us&d", productName: "p", successURL: "s",
                cancelURL: "c", expiresAt: 1)
        }
        #expect(throws: PaymentRejection.self) {
            try StripeProtocol.createSessionRequest(
                Self.config, orderNo: "o", amountMinor: 0, currency: "usd", productName: "p", successURL: "s",
                cancelURL: "c", expiresAt: 1)
        }
        #expect(throws: PaymentRejection.self) { try StripeProtocol.getSessionRequest(Self.config, sessionID: "../x") }
    }

    @Test("The create reply gives the session id and URL; an error body is a refusal")
    func parseSession() throws {
        let reply =
            #"{"id":"cs_test_1","object":"checkout.session","url":"https://checkout.stripe.com/c/pay/cs_test_1"}"#
        let session = try StripeProtocol.parseSession(Array(reply.utf8))
        #expect(session.id == "cs_test_1")
        #expect(session.url == "https://checkout.stripe.com/c/pay/cs_test_1")
        let error = #"{"error":{"type":"invalid_request_error","message":"No such price: sk_live_leak"}}"#
        #expect(throws: PaymentRejection.unsupported("gateway refused")) {
            try StripeProtocol.parseSession(Array(error.utf8))
        }
        #expect(throws: PaymentRejection.self) { try StripeProtocol.parseSession(Array(#"{"id":"cs_1"}"#.utf8)) }
    }

    @Test("A session fetched by id parses, with an expanded payment intent and the metadata order id")
    func sessionObject() throws {
        let request = try StripeProtocol.getSessionRequest(Self.config, sessionID: "cs_test_1")
        #expect(request.method == "GET")
        #expect(request.url == "https://api.stripe.com/v1/checkout/sessions/cs_test_1")
        let reply = #"""
            {"id":"cs_test_1","object":"checkout.session","mode":"payment","amount_total":1000,"currency":"usd",
             "payment_status":"paid","client_reference_id":null,"metadata":{"wharf_order_id":"ord_01"},
             "payment_intent":{"id":"pi_1","object":"payment_intent"}}
            """#
        #expect(
            try StripeProtocol.parseSessionObject(Array(reply.utf8))
                == StripeSession(
                    id: "cs_test_1", orderNo: "ord_01", amountTotal: 1000, currency: "USD", paymentStatus: "paid",
                    paymentIntent: "pi_1", mode: "payment"))
        let fractional = #"{"id":"cs_test_1","amount_total":10.5}"#
        #expect(throws: PaymentRejection.self) { try StripeProtocol.parseSessionObject(Array(fractional.utf8)) }
    }

    @Test("A refund posts payment_intent, amount and the order id with the caller's idempotency key")
    func refund() throws {
        let request = try StripeProtocol.refundRequest(
            Self.config, paymentIntent: "pi_1", amountMinor: 300, orderNo: "ord_01", idempotencyKey: "refund:ord_01:1")
        #expect(request.url == "https://api.stripe.com/v1/refunds")
        #expect(request.header("Idempotency-Key") == "refund:ord_01:1")
        #expect(
            try Self.form(request) == ["payment_intent": "pi_1", "amount": "300", "metadata[wharf_order_id]": "ord_01"])
        #expect(
            try StripeProtocol.parseRefund(Array(#"{"id":"re_1","object":"refund","status":"succeeded"}"#.utf8))
                == "re_1")
        #expect(try StripeProtocol.parseRefund(Array(#"{"id":"re_2","status":"pending"}"#.utf8)) == "re_2")
        #expect(throws: PaymentRejection.unsupported("refund not accepted")) {
            try StripeProtocol.parseRefund(Array(#"{"id":"re_3","status":"failed"}"#.utf8))
        }
        #expect(throws: PaymentRejection.unsupported("gateway refused")) {
            try StripeProtocol.parseRefund(Array(#"{"error":{"code":"charge_already_refunded"}}"#.utf8))
        }
    }
}
