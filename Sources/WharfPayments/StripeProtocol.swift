import WharfCore

/// Stripe's REST calls for Checkout top-ups and refunds: request builders and reply parsers.
public enum StripeProtocol {
    /// The pinned API version, sent as `Stripe-Version`.
    public static let apiVersion = "2024-06-20"

    /// `POST {apiBase}/v1/checkout/sessions`, form-encoded with bracket keys: `mode=payment`,
    /// `line_items[0][price_data][currency]` (lower case), `line_items[0][price_data][unit_amount]` (minor units),
    /// `line_items[0][price_data][product_data][name]`, `line_items[0][quantity]=1`, `client_reference_id`,
    /// `metadata[wharf_order_id]`, `payment_intent_data[metadata][wharf_order_id]`, `success_url`, `cancel_url`,
    /// `expires_at`. Headers: `Authorization: Bearer`, `Stripe-Version`, `Idempotency-Key: checkout-create:<orderNo>`,
    /// `Content-Type`. Empty secret key -> ``PaymentRejection/missingSecret``; a currency that is not three ASCII
    /// letters or an amount that is not positive -> ``PaymentRejection/malformed(_:)``.
    public static func createSessionRequest(
        _ c: StripeConfig, orderNo: String, amountMinor: Int64, currency: String, productName: String,
        successURL: String, cancelURL: String, expiresAt: Int64
    ) throws(PaymentRejection) -> GatewayRequest {
        try SecretCheck.require(c.secretKey)
        guard amountMinor > 0 else { throw .malformed("amount must be positive") }
        let code = currency.lowercased()
        guard code.utf8.count == 3, code.utf8.allSatisfy({ $0 >= UInt8(ascii: "a") && $0 <= UInt8(ascii: "z") })
        else { throw .malformed("currency is not an ISO code") }
        let form: [(String, String)] = [
            ("mode", "payment"),
            ("line_items[0][price_data][currency]", code),
            ("line_items[0][price_data][unit_amount]", String(amountMinor)),
            ("line_items[0][price_data][product_data][name]", productName),
            ("line_items[0][quantity]", "1"),
            ("client_reference_id", orderNo),
            ("metadata[wharf_order_id]", orderNo),
            ("payment_intent_data[metadata][wharf_order_id]", orderNo),
            ("success_url", successURL),
            ("cancel_url", cancelURL),
            ("expires_at", String(expiresAt)),
        ]
        return post(c, path: "/v1/checkout/sessions", form: form, idempotencyKey: "checkout-create:" + orderNo)
    }

    /// The create reply: `(id, url)`. An `{"error": …}` body -> ``PaymentRejection/unsupported(_:)`` ("gateway
    /// refused"); no `id` or `url` -> ``PaymentRejection/malformed(_:)``.
    public static func parseSession(_ body: [UInt8]) throws(PaymentRejection) -> (id: String, url: String) {
        let reply = try JSONValue.parseReplyObject(body)
        try StripeJSON.rejectError(reply)
        guard let id = reply["id"]?.nonEmptyString, let url = reply["url"]?.nonEmptyString else {
            throw .malformed("session id or url missing")
        }
        return (id, url)
    }

    /// `GET {apiBase}/v1/checkout/sessions/{id}` (to re-check a session before settling, or to poll). An id with
    /// characters other than letters, digits and `_` -> ``PaymentRejection/malformed(_:)``.
    public static func getSessionRequest(_ c: StripeConfig, sessionID: String) throws(PaymentRejection)
        -> GatewayRequest
    {
        try SecretCheck.require(c.secretKey)
        guard isIdentifier(sessionID) else { throw .malformed("session id has unexpected characters") }
        return GatewayRequest(
            method: "GET", url: BaseURL.join(c.apiBase, "/v1/checkout/sessions/" + sessionID),
            headers: [("Authorization", "Bearer " + c.secretKey), ("Stripe-Version", apiVersion)])
    }

    /// Reads a `GET /v1/checkout/sessions/{id}` reply. An `{"error": …}` body -> ``PaymentRejection/unsupported(_:)``.
    public static func parseSessionObject(_ body: [UInt8]) throws(PaymentRejection) -> StripeSession {
        let reply = try JSONValue.parseReplyObject(body)
        try StripeJSON.rejectError(reply)
        return try StripeSession(json: reply)
    }

    /// `POST {apiBase}/v1/refunds` with `payment_intent`, `amount` (minor units) and `metadata[wharf_order_id]`;
    /// `Idempotency-Key` as given (1 to 255 characters, else malformed).
    public static func refundRequest(
        _ c: StripeConfig, paymentIntent: String, amountMinor: Int64, orderNo: String, idempotencyKey: String
    ) throws(PaymentRejection) -> GatewayRequest {
        try SecretCheck.require(c.secretKey)
        guard amountMinor > 0 else { throw .malformed("amount must be positive") }
        guard !paymentIntent.isEmpty else { throw .malformed("payment intent missing") }
        guard (1...255).contains(idempotencyKey.utf8.count) else { throw .malformed("bad idempotency key") }
        let form = [
            ("payment_intent", paymentIntent), ("amount", String(amountMinor)), ("metadata[wharf_order_id]", orderNo),
        ]
        return post(c, path: "/v1/refunds", form: form, idempotencyKey: idempotencyKey)
    }

    /// The refund reply: the refund id when `status` is `succeeded` or `pending`. An `{"error": …}` body or any other
    /// status -> ``PaymentRejection/unsupported(_:)``; no id -> ``PaymentRejection/malformed(_:)``.
    public static func parseRefund(_ body: [UInt8]) throws(PaymentRejection) -> String {
        let reply = try JSONValue.parseReplyObject(body)
        try StripeJSON.rejectError(reply)
        let status = reply["status"]?.string
        guard status == "succeeded" || status == "pending" else { throw .unsupported("refund not accepted") }
        guard let id = reply["id"]?.nonEmptyString else { throw .malformed("refund id missing") }
        return id
    }

    static func post(
        _ c: StripeConfig, path: String, form: [(String, String)], idempotencyKey: String
    ) -> GatewayRequest {
        GatewayRequest(
            method: "POST", url: BaseURL.join(c.apiBase, path),
            headers: [
                ("Authorization", "Bearer " + c.secretKey), ("Stripe-Version", apiVersion),
                ("Idempotency-Key", idempotencyKey), ("Content-Type", "application/x-www-form-urlencoded"),
            ],
            body: Array(FormParameters.encode(form).utf8))
    }

    static func isIdentifier(_ text: String) -> Bool {
        !text.isEmpty
            && text.utf8.allSatisfy { byte in
                switch byte {
                case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                    UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "_"):
                    true
                default: false
                }
            }
    }
}
