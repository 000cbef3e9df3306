import WharfCore

/// Epay v1 ("彩虹易支付" protocol, MD5 key): the page-pay form, notify verification, order query and refund.
public enum EpayProtocol {
    /// The parameters never signed.
    static let unsigned: Set<String> = ["sign", "sign_type"]

    /// The page-pay form: action = base + `/submit.php` (base trimmed of trailing `/`), fields in a fixed order
    /// (`pid`, `type`, `out_trade_no`, `notify_url`, `return_url`, `name`, `money`, `sign`, `sign_type=MD5`); `money` =
    /// `CurrencyAmount.format(minor, 2)`; `name` as given. Throws ``PaymentRejection/missingSecret`` if the key is
    /// empty, ``PaymentRejection/malformed(_:)`` if the amount is not positive or a callback URL has a query (`?`):
    /// the gateway appends its signed parameters to it, and extra unsigned ones would then fail verification.
    public static func pagePayForm(
        _ config: EpayConfig, orderNo: String, method: String, amountMinor: Int64, name: String, notifyURL: String,
        returnURL: String
    ) throws(PaymentRejection) -> (action: String, fields: [(String, String)]) {
        try SecretCheck.require(config.key)
        guard amountMinor > 0 else { throw .malformed("amount must be positive") }
        guard !notifyURL.contains("?"), !returnURL.contains("?") else {
            throw .malformed("callback URLs must not carry a query")
        }
        var fields: [(String, String)] = [
            ("pid", config.merchantID), ("type", method), ("out_trade_no", orderNo), ("notify_url", notifyURL),
            ("return_url", returnURL), ("name", name), ("money", CurrencyAmount.format(amountMinor, exponent: 2)),
        ]
        let sign = MD5Signing.sign(
            Dictionary(fields, uniquingKeysWith: { a, _ in a }), secret: config.key, excluding: unsigned,
            style: config.signStyle)
        fields.append(("sign", sign))
        fields.append(("sign_type", "MD5"))
        return (BaseURL.join(config.baseURL, "/submit.php"), fields)
    }

    /// Verifies a notify or return parameter set (GET query or POST form, already parsed by
    /// ``FormParameters/parse(_:)``): empty key -> ``PaymentRejection/missingSecret``; `sign` missing or wrong
    /// (constant time, over ALL received params except `sign`, `sign_type` and empty values) ->
    /// ``PaymentRejection/badSignature``; a `sign_type` other than MD5 -> ``PaymentRejection/unsupported(_:)``;
    /// `pid` != the configured merchant -> ``PaymentRejection/wrongMerchant``; no `out_trade_no` -> malformed.
    /// `trade_status` `TRADE_SUCCESS` -> paid, `TRADE_CLOSED` -> closed, anything else -> pending.
    public static func verifyNotification(
        _ params: [String: String], config: EpayConfig
    ) throws(PaymentRejection) -> PaymentNotice {
        try SecretCheck.require(config.key)
        if let signType = params["sign_type"], !signType.isEmpty, signType.uppercased() != "MD5" {
            throw .unsupported("sign_type is not MD5")
        }
        guard
            MD5Signing.matches(
                params["sign"], params, secret: config.key, excluding: unsigned, style: config.signStyle)
        else { throw .badSignature }
        guard params["pid"] == config.merchantID else { throw .wrongMerchant }
        guard let orderNo = params["out_trade_no"], !orderNo.isEmpty else { throw .malformed("out_trade_no missing") }
        let status: PaymentNotice.Status =
            switch params["trade_status"] {
            case "TRADE_SUCCESS": .paid
            case "TRADE_CLOSED": .closed
            default: .pending
            }
        return PaymentNotice(
            orderNo: orderNo, tradeNo: params["trade_no"].nonEmpty, amountText: params["money"].nonEmpty,
            merchantID: params["pid"], status: status, method: params["type"].nonEmpty)
    }

    /// `GET {base}/api.php?act=order&pid=&key=&out_trade_no=`. The key travels in the URL: log only the request's
    /// `description`, which redacts it.
    public static func queryRequest(_ config: EpayConfig, orderNo: String) throws(PaymentRejection) -> GatewayRequest {
        try SecretCheck.require(config.key)
        let query = FormParameters.encode([
            ("act", "order"), ("pid", config.merchantID), ("key", config.key), ("out_trade_no", orderNo),
        ])
        return GatewayRequest(method: "GET", url: BaseURL.join(config.baseURL, "/api.php") + "?" + query)
    }

    /// Parses the `act=order` JSON reply (numbers may come as strings: `"code":"1"`, `"status":"1"`): `code` != 1 ->
    /// nil (unknown or not found); `status` 1 -> paid, else pending; a `pid` in the reply must equal the configured
    /// merchant (else ``PaymentRejection/wrongMerchant``); no `out_trade_no` -> malformed. The caller compares
    /// `orderNo` with the order it asked about. Malformed JSON -> ``PaymentRejection/malformed(_:)``.
    public static func parseQuery(_ body: [UInt8], config: EpayConfig) throws(PaymentRejection) -> PaymentNotice? {
        let reply = try JSONValue.parseReplyObject(body)
        guard reply["code"]?.lenientInteger == 1 else { return nil }
        if let pid = reply["pid"], pid != .null {
            guard pid.scalarText == config.merchantID else { throw .wrongMerchant }
        }
        guard let orderNo = reply["out_trade_no"]?.scalarText, !orderNo.isEmpty else {
            throw .malformed("out_trade_no missing")
        }
        return PaymentNotice(
            orderNo: orderNo, tradeNo: reply["trade_no"]?.scalarText.nonEmpty,
            amountText: reply["money"]?.scalarText.nonEmpty, merchantID: reply["pid"]?.scalarText,
            status: reply["status"]?.lenientInteger == 1 ? .paid : .pending,
            method: reply["type"]?.scalarText.nonEmpty)
    }

    /// `POST {base}/api.php?act=refund` with the form `pid`, `key`, `out_trade_no`, `money` (full refunds only: most
    /// channels require `money` to equal the order).
    public static func refundRequest(
        _ config: EpayConfig, orderNo: String, amountMinor: Int64
    ) throws(PaymentRejection) -> GatewayRequest {
        try SecretCheck.require(config.key)
        guard amountMinor > 0 else { throw .malformed("amount must be positive") }
        let form = FormParameters.encode([
            ("pid", config.merchantID), ("key", config.key), ("out_trade_no", orderNo),
            ("money", CurrencyAmount.format(amountMinor, exponent: 2)),
        ])
        return GatewayRequest(
            method: "POST", url: BaseURL.join(config.baseURL, "/api.php") + "?act=refund",
            headers: [("Content-Type", "application/x-www-form-urlencoded")], body: Array(form.utf8))
    }

    /// Whether the refund reply says `code` 1 (number or string). The gateway's `msg` is not returned: gateway text
    /// is never forwarded or logged verbatim.
    public static func parseRefund(_ body: [UInt8]) throws(PaymentRejection) -> Bool {
        try JSONValue.parseReplyObject(body)["code"]?.lenientInteger == 1
    }
}
