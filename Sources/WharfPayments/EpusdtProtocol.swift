import WharfCore

/// The epusdt protocol: create a transaction, verify the JSON callback. MD5 rule with the token appended directly;
/// numbers are signed as the exact JSON token text (Go's shortest float form: `42`, `14.2857`).
public enum EpusdtProtocol {
    /// The largest callback body accepted, in bytes.
    public static let maxCallbackBytes = 16 * 1024
    /// Amounts at or above this many minor units (1,000,000.00) are refused: BEpusdt signs amounts with Go's `%v`,
    /// which writes 1e+06 from a million on, so the signature over the text Wharf sends would no longer match.
    static let amountLimit: Int64 = 100_000_000
    static let unsigned: Set<String> = ["signature"]

    /// `POST {base}/api/v1/order/create-transaction` with the JSON body
    /// `{"amount":<shortest number>,"notify_url":"…","order_id":"…","redirect_url":"…","signature":"…"}`, written by
    /// hand so the amount token is exactly the signed text (``CurrencyAmount/formatShortest(_:exponent:)``, 2
    /// decimals). The signature covers `amount`, `notify_url`, `order_id` and `redirect_url` (an empty
    /// `redirect_url` is neither sent nor signed). Empty token -> ``PaymentRejection/missingSecret``; an amount that
    /// is not positive (0 means "any amount" to BEpusdt) or too large -> ``PaymentRejection/malformed(_:)``.
    public static func createRequest(
        _ c: EpusdtConfig, orderNo: String, amountMinor: Int64, notifyURL: String, redirectURL: String
    ) throws(PaymentRejection) -> GatewayRequest {
        try SecretCheck.require(c.token)
        guard amountMinor > 0, amountMinor < amountLimit else { throw .malformed("amount out of range") }
        let amount = CurrencyAmount.formatShortest(amountMinor, exponent: 2)
        let signed = ["amount": amount, "notify_url": notifyURL, "order_id": orderNo, "redirect_url": redirectURL]
        let signature = MD5Signing.sign(signed, secret: c.token, excluding: [])
        var members = ["\"amount\":" + amount, "\"notify_url\":" + JSONText.quoted(notifyURL)]
        members.append("\"order_id\":" + JSONText.quoted(orderNo))
        if !redirectURL.isEmpty { members.append("\"redirect_url\":" + JSONText.quoted(redirectURL)) }
        members.append("\"signature\":" + JSONText.quoted(signature))
        let body = "{" + members.joined(separator: ",") + "}"
        return GatewayRequest(
            method: "POST", url: BaseURL.join(c.baseURL, "/api/v1/order/create-transaction"),
            headers: [("Content-Type", "application/json")], body: Array(body.utf8))
    }

    /// The create reply `{"status_code":200,"data":{"payment_url":…,"trade_id":…}}` -> `(tradeID, paymentURL)`;
    /// another `status_code` -> ``PaymentRejection/unsupported(_:)`` ("gateway refused"); missing fields -> malformed.
    public static func parseCreate(_ body: [UInt8]) throws(PaymentRejection) -> (tradeID: String, paymentURL: String) {
        let reply = try JSONValue.parseReplyObject(body)
        guard reply["status_code"]?.lenientInteger == 200 else { throw .unsupported("gateway refused") }
        guard let data = reply["data"], let tradeID = data["trade_id"]?.scalarText.nonEmpty,
            let paymentURL = data["payment_url"]?.nonEmptyString
        else { throw .malformed("trade_id or payment_url missing") }
        return (tradeID, paymentURL)
    }

    /// Verifies the JSON callback. The signed fields are every top-level member except `signature`, rendered as the
    /// gateway signed them: strings raw, numbers as their exact token text from the body (`14.2857` stays
    /// `"14.2857"`, `100` stays `"100"`), booleans `true`/`false`; null and `""` dropped; a nested object or array
    /// -> malformed (it cannot be rendered as the gateway would). Then sorted, token appended, MD5, constant-time
    /// compare. Body over ``maxCallbackBytes``, invalid JSON or a repeated member -> malformed; empty token ->
    /// missingSecret; missing or wrong signature -> badSignature.
    ///
    /// `status` (number or string) 2 -> paid, 1 -> pending, 3 -> closed, else pending. `orderNo` = `order_id`,
    /// `tradeNo` = `trade_id`, `amountText` = the `amount` text (string or number; fiat), `transactionReference` =
    /// `block_transaction_id`.
    public static func verifyCallback(_ body: [UInt8], config: EpusdtConfig) throws(PaymentRejection) -> PaymentNotice {
        guard body.count <= maxCallbackBytes else { throw .malformed("callback is larger than 16 KiB") }
        try SecretCheck.require(config.token)
        let callback = try JSONValue.parseReplyObject(body)
        var fields: [String: String] = [:]
        for (key, value) in callback.members where key != "signature" {
            switch value {
            case .string(let s): fields[key] = s
            case .number(let n): fields[key] = n
            case .bool(let b): fields[key] = b ? "true" : "false"
            case .null: continue
            case .object, .array: throw .malformed("callback has a nested member")
            }
        }
        guard MD5Signing.matches(callback["signature"]?.string, fields, secret: config.token, excluding: unsigned)
        else { throw .badSignature }
        guard let orderNo = fields["order_id"].nonEmpty else { throw .malformed("order_id missing") }
        let status: PaymentNotice.Status =
            switch callback["status"]?.lenientInteger {
            case 2: .paid
            case 3: .closed
            default: .pending
            }
        return PaymentNotice(
            orderNo: orderNo, tradeNo: fields["trade_id"].nonEmpty, amountText: fields["amount"].nonEmpty,
            status: status, transactionReference: fields["block_transaction_id"].nonEmpty)
    }
}
