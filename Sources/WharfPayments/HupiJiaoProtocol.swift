import WharfCore

/// HupiJiao (虎皮椒, xunhupay): create, notify verification, query and refund. The hash is the MD5 rule with the
/// APPSECRET appended directly (``MD5Signing/SecretStyle/plain``), over every field except `hash`.
public enum HupiJiaoProtocol {
    static let unsigned: Set<String> = ["hash"]
    static let formHeaders = [("Content-Type", "application/x-www-form-urlencoded")]

    /// `POST {base}/payment/do.html`, a form with `version=1.1`, `appid`, `trade_order_id`, `total_fee` (2 decimals),
    /// `title`, `time`, `notify_url`, `return_url`, `nonce_str`, `hash`. Empty fields are not sent (older gateway
    /// copies sign empty values).
    public static func createRequest(
        _ c: HupiJiaoConfig, orderNo: String, amountMinor: Int64, title: String, notifyURL: String, returnURL: String,
        now: Int64, nonce: String
    ) throws(PaymentRejection) -> GatewayRequest {
        try SecretCheck.require(c.secret)
        guard amountMinor > 0 else { throw .malformed("amount must be positive") }
        return signedForm(
            c, path: "/payment/do.html",
            [
                ("version", "1.1"), ("appid", c.appID), ("trade_order_id", orderNo),
                ("total_fee", CurrencyAmount.format(amountMinor, exponent: 2)), ("title", title),
                ("time", String(now)), ("notify_url", notifyURL), ("return_url", returnURL), ("nonce_str", nonce),
            ])
    }

    /// The create reply `{errcode, errmsg, url, url_qrcode, openid, hash}`: a `hash`, when present, must match (over
    /// every member except `hash`, see ``verifyReplyHash(_:config:)``) else ``PaymentRejection/badSignature``;
    /// `errcode` != 0 -> ``PaymentRejection/unsupported(_:)`` ("gateway refused"); returns the pay URL (`url`).
    public static func parseCreate(_ body: [UInt8], config: HupiJiaoConfig) throws(PaymentRejection) -> String {
        try SecretCheck.require(config.secret)
        let reply = try JSONValue.parseReplyObject(body)
        try verifyReplyHash(reply, config: config)
        guard reply["errcode"]?.lenientInteger == 0 else { throw .unsupported("gateway refused") }
        // A successful reply names where the payer goes: it must be signed, and signed over everything it holds
        // (nested members are not covered by the rule, so a reply with any is refused), or anyone on the path could
        // send the payer elsewhere.
        let nested = reply.members.contains { member in
            switch member.value {
            case .object, .array: true
            default: false
            }
        }
        guard let hash = reply["hash"], hash != .null, !nested else { throw .badSignature }
        guard let url = reply["url"]?.nonEmptyString else { throw .malformed("url missing") }
        return url
    }

    /// Verifies a notify (POST form, already parsed): `hash` over all params except `hash`; `appid` must equal the
    /// configured one. `status` `OD` -> paid, `WP` -> pending, `CD` -> closed (anything else pending). `orderNo` =
    /// `trade_order_id`, `tradeNo` = `open_order_id`, `amountText` = `total_fee`, `transactionReference` =
    /// `transaction_id`.
    public static func verifyNotification(
        _ params: [String: String], config: HupiJiaoConfig
    ) throws(PaymentRejection) -> PaymentNotice {
        try SecretCheck.require(config.secret)
        guard MD5Signing.matches(params["hash"], params, secret: config.secret, excluding: unsigned) else {
            throw .badSignature
        }
        guard params["appid"] == config.appID else { throw .wrongMerchant }
        guard let orderNo = params["trade_order_id"].nonEmpty else { throw .malformed("trade_order_id missing") }
        return PaymentNotice(
            orderNo: orderNo, tradeNo: params["open_order_id"].nonEmpty, amountText: params["total_fee"].nonEmpty,
            merchantID: params["appid"], status: status(params["status"]),
            transactionReference: params["transaction_id"].nonEmpty)
    }

    /// `POST {base}/payment/query.html`, a form with `appid`, `out_trade_order`, `time`, `nonce_str`, `hash`.
    public static func queryRequest(
        _ c: HupiJiaoConfig, orderNo: String, now: Int64, nonce: String
    ) throws(PaymentRejection) -> GatewayRequest {
        try SecretCheck.require(c.secret)
        return signedForm(
            c, path: "/payment/query.html",
            [("appid", c.appID), ("out_trade_order", orderNo), ("time", String(now)), ("nonce_str", nonce)])
    }

    /// The query reply `{errcode:0, errmsg, data:{status, total_fee?, open_order_id?, transaction_id?…}, hash?}`:
    /// `errcode` != 0 -> nil; no `data` object -> malformed. `orderNo` is the one asked about.
    ///
    /// The reply `hash` is checked only when the top level holds no object or array: how the gateway renders the
    /// nested `data` in its hash string is not documented (PHP's `"$key=$data"` would give `data=Array`), so a reply
    /// with `data` is trusted on the strength of the HTTPS call alone, and a wrong guess can never refuse a good
    /// reply. See ``verifyReplyHash(_:config:)``.
    public static func parseQuery(
        _ body: [UInt8], orderNo: String, config: HupiJiaoConfig
    ) throws(PaymentRejection) -> PaymentNotice? {
        try SecretCheck.require(config.secret)
        let reply = try JSONValue.parseReplyObject(body)
        try verifyReplyHash(reply, config: config)
        guard reply["errcode"]?.lenientInteger == 0 else { return nil }
        guard let data = reply["data"], data.isObject else { throw .malformed("data missing") }
        return PaymentNotice(
            orderNo: orderNo, tradeNo: data["open_order_id"]?.scalarText.nonEmpty,
            amountText: data["total_fee"]?.scalarText.nonEmpty, merchantID: reply["appid"]?.scalarText,
            status: status(data["status"]?.string), transactionReference: data["transaction_id"]?.scalarText.nonEmpty)
    }

    /// `POST {base}/payment/refund.html`, a form with `appid`, `trade_order_id`, `reason` (cut to 80 characters; not
    /// sent when empty), `time`, `nonce_str`, `hash`. There is no amount: refunds are full refunds only.
    public static func refundRequest(
        _ c: HupiJiaoConfig, orderNo: String, reason: String, now: Int64, nonce: String
    ) throws(PaymentRejection) -> GatewayRequest {
        try SecretCheck.require(c.secret)
        return signedForm(
            c, path: "/payment/refund.html",
            [
                ("appid", c.appID), ("trade_order_id", orderNo), ("reason", String(reason.prefix(80))),
                ("time", String(now)), ("nonce_str", nonce),
            ])
    }

    /// Whether the refund reply says `errcode` 0 and `refund_status` `CD` (refunded) or `RD` (refunding).
    public static func parseRefund(_ body: [UInt8]) throws(PaymentRejection) -> Bool {
        let reply = try JSONValue.parseReplyObject(body)
        guard reply["errcode"]?.lenientInteger == 0 else { return false }
        let status = reply["refund_status"]?.string
        return status == "CD" || status == "RD"
    }

    /// The reply's `hash`, when present and the top level has only scalars, must be the MD5 rule over the other
    /// members rendered as PHP would after `json_decode`: strings raw, numbers as their token text, `true` as `1`,
    /// `false` and `null` dropped (PHP's `false` prints as the empty string).
    static func verifyReplyHash(_ reply: JSONValue, config: HupiJiaoConfig) throws(PaymentRejection) {
        guard let hash = reply["hash"], hash != .null else { return }
        var fields: [String: String] = [:]
        for (key, value) in reply.members where key != "hash" {
            switch value {
            case .string(let s): fields[key] = s
            case .number(let n): fields[key] = n
            case .bool(let b): fields[key] = b ? "1" : ""
            case .null: continue
            case .object, .array: return
            }
        }
        guard MD5Signing.matches(hash.string, fields, secret: config.secret, excluding: unsigned) else {
            throw .badSignature
        }
    }

    /// Builds a signed form POST; empty values are left out of both the form and the hash.
    static func signedForm(_ c: HupiJiaoConfig, path: String, _ pairs: [(String, String)]) -> GatewayRequest {
        var fields = pairs.filter { !$0.1.isEmpty }
        let hash = MD5Signing.sign(
            Dictionary(fields, uniquingKeysWith: { a, _ in a }), secret: c.secret, excluding: unsigned)
        fields.append(("hash", hash))
        return GatewayRequest(
            method: "POST", url: BaseURL.join(c.baseURL, path), headers: formHeaders,
            body: Array(FormParameters.encode(fields).utf8))
    }

    static func status(_ text: String?) -> PaymentNotice.Status {
        switch text {
        case "OD": .paid
        case "CD": .closed
        default: .pending
        }
    }
}
