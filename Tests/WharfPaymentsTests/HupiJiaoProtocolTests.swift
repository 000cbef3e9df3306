import Testing
import WharfPayments

@Suite("HupiJiao (xunhupay)")
struct HupiJiaoProtocolTests {
    static let secret = "6D7B025B8DD098C485F0805193136FB9"
    static let config = HupiJiaoConfig(baseURL: "https://api.xunhupay.com/", appID: "20146123713", secret: secret)
    static let notify = [
        "appid": "20146123713", "nonce_str": "p8w2m4z7", "open_order_id": "20240101000000001",
        "order_title": "Wharf top-up", "status": "OD", "time": "1700000100", "total_fee": "9.90",
        "trade_order_id": "W20240101000001", "transaction_id": "4200002024010100001",
        "hash": "6eca1ed46a7aeea98bba43450d6a595e",
    ]

    static func resigned(_ params: [String: String]) -> [String: String] {
        var params = params
        params["hash"] = MD5Signing.sign(params, secret: secret, excluding: ["hash"])
        return params
    }

    static func form(_ request: GatewayRequest) throws -> [String: String] {
        try FormParameters.parse(String(decoding: request.body ?? [], as: UTF8.self))
    }

    @Test("The create request reproduces the research hash d5c18986…")
    func createVector() throws {
        let request = try HupiJiaoProtocol.createRequest(
            Self.config, orderNo: "W20240101000001", amountMinor: 990, title: "Wharf top-up",
            notifyURL: "https://wharf.example/api/pay/hupijiao/notify", returnURL: "https://wharf.example/topup/done",
            now: 1_700_000_000, nonce: "k3j9x0q1")
        #expect(request.method == "POST")
        #expect(request.url == "https://api.xunhupay.com/payment/do.html")
        #expect(request.header("Content-Type") == "application/x-www-form-urlencoded")
        let form = try Self.form(request)
        #expect(form["hash"] == "d5c189867d51055ceaa69e2c137f187d")
        #expect(form["version"] == "1.1")
        #expect(form["total_fee"] == "9.90")
        #expect(form["time"] == "1700000000")
        #expect(form["title"] == "Wharf top-up")
        #expect(form.count == 10)
    }

    @Test("An empty callback_url is dropped from the hash, and empty fields are never sent")
    func emptyFieldsDropped() throws {
        var params = try Self.form(
            HupiJiaoProtocol.createRequest(
                Self.config, orderNo: "W20240101000001", amountMinor: 990, title: "Wharf top-up",
                notifyURL: "https://wharf.example/api/pay/hupijiao/notify",
                returnURL: "https://wharf.example/topup/done",
                now: 1_700_000_000, nonce: "k3j9x0q1"))
        params["callback_url"] = ""
        #expect(MD5Signing.sign(params, secret: Self.secret, excluding: ["hash"]) == "d5c189867d51055ceaa69e2c137f187d")
        let noReturn = try HupiJiaoProtocol.createRequest(
            Self.config, orderNo: "W1", amountMinor: 100, title: "t", notifyURL: "https://n", returnURL: "", now: 1,
            nonce: "n")
        #expect(try Self.form(noReturn)["return_url"] == nil)
    }

    @Test("The notify reproduces the research hash 6eca1ed4… and maps every field")
    func notifyVector() throws {
        let notice = try HupiJiaoProtocol.verifyNotification(Self.notify, config: Self.config)
        #expect(
            notice
                == PaymentNotice(
                    orderNo: "W20240101000001", tradeNo: "20240101000000001", amountText: "9.90",
                    merchantID: "20146123713", status: .paid, transactionReference: "4200002024010100001"))
    }

    @Test("A notify posted as a form body verifies after parsing")
    func notifyFromForm() throws {
        let body = FormParameters.encode(Self.notify.sorted { $0.key < $1.key }.map { ($0.key, $0.value) })
        #expect(
            try HupiJiaoProtocol.verifyNotification(FormParameters.parse(body), config: Self.config).status == .paid)
    }

    @Test("A tampered amount, a missing hash or another secret is refused")
    func badHash() {
        var params = Self.notify
        params["total_fee"] = "0.01"
        #expect(throws: PaymentRejection.badSignature) {
            try HupiJiaoProtocol.verifyNotification(params, config: Self.config)
        }
        params = Self.notify
        params["hash"] = nil
        #expect(throws: PaymentRejection.badSignature) {
            try HupiJiaoProtocol.verifyNotification(params, config: Self.config)
        }
        let other = HupiJiaoConfig(baseURL: "https://api.xunhupay.com", appID: "20146123713", secret: "other")
        #expect(throws: PaymentRejection.badSignature) {
            try HupiJiaoProtocol.verifyNotification(Self.notify, config: other)
        }
    }

    @Test("A correctly signed notify for another appid is refused as the wrong merchant")
    func wrongMerchant() {
        var params = Self.notify
        params["appid"] = "99999"
        #expect(throws: PaymentRejection.wrongMerchant) {
            try HupiJiaoProtocol.verifyNotification(Self.resigned(params), config: Self.config)
        }
    }

    @Test("status WP is pending and CD is closed")
    func statuses() throws {
        var params = Self.notify
        params["status"] = "WP"
        #expect(try HupiJiaoProtocol.verifyNotification(Self.resigned(params), config: Self.config).status == .pending)
        params["status"] = "CD"
        #expect(try HupiJiaoProtocol.verifyNotification(Self.resigned(params), config: Self.config).status == .closed)
    }

    @Test("total_fee \"10\" equals a 10.00 order, \"10.001\" does not parse")
    func decimalEquality() {
        #expect(CurrencyAmount.parseMinor("10", exponent: 2) == CurrencyAmount.parseMinor("10.00", exponent: 2))
        #expect(CurrencyAmount.parseMinor("10.001", exponent: 2) == nil)
    }

    @Test("An empty secret refuses every call")
    func missingSecret() {
        let empty = HupiJiaoConfig(baseURL: "https://api.xunhupay.com", appID: "20146123713", secret: "")
        var params = Self.notify
        params["hash"] = MD5Signing.sign(params, secret: "", excluding: ["hash"])
        #expect(throws: PaymentRejection.missingSecret) {
            try HupiJiaoProtocol.verifyNotification(params, config: empty)
        }
        #expect(throws: PaymentRejection.missingSecret) {
            try HupiJiaoProtocol.createRequest(
                empty, orderNo: "W1", amountMinor: 1, title: "t", notifyURL: "n", returnURL: "r", now: 1, nonce: "n")
        }
        #expect(throws: PaymentRejection.missingSecret) {
            try HupiJiaoProtocol.queryRequest(empty, orderNo: "W1", now: 1, nonce: "n")
        }
        #expect(throws: PaymentRejection.missingSecret) {
            try HupiJiaoProtocol.refundRequest(empty, orderNo: "W1", reason: "r", now: 1, nonce: "n")
        }
        #expect(throws: PaymentRejection.missingSecret) {
            try HupiJiaoProtocol.parseCreate(Array(#"{"errcode":0,"url":"https://x"}"#.utf8), config: empty)
        }
    }

    static func createReply(url: String, hash: String) -> [UInt8] {
        let text = #"""
            {"openid":20240101000000001,"url_qrcode":"https://api.xunhupay.com/qr","url":"\#(url)",
             "errcode":0,"errmsg":"success!","hash":"\#(hash)"}
            """#
        return Array(text.utf8)
    }

    @Test("A successful create reply must carry a matching hash; errcode other than 0 is a refusal")
    func createReply() throws {
        let url = "https://api.xunhupay.com/pay"
        let fields = [
            "openid": "20240101000000001", "url_qrcode": "https://api.xunhupay.com/qr", "url": url, "errcode": "0",
            "errmsg": "success!",
        ]
        let hash = MD5Signing.sign(fields, secret: Self.secret, excluding: ["hash"])
        #expect(try HupiJiaoProtocol.parseCreate(Self.createReply(url: url, hash: hash), config: Self.config) == url)
        let unsigned = #"{"errcode":0,"errmsg":"ok","url":"https://api.xunhupay.com/pay"}"#
        #expect(throws: PaymentRejection.badSignature) {
            try HupiJiaoProtocol.parseCreate(Array(unsigned.utf8), config: Self.config)
        }
        #expect(throws: PaymentRejection.badSignature) {
            try HupiJiaoProtocol.parseCreate(
                Self.createReply(url: "https://evil.example", hash: hash), config: Self.config)
        }
        // A member the hash rule does not cover cannot ride along.
        let padded = #"{"errcode":0,"url":"https://evil.example/","hash":"x","pad":[]}"#
        #expect(throws: PaymentRejection.badSignature) {
            try HupiJiaoProtocol.parseCreate(Array(padded.utf8), config: Self.config)
        }
        let refused = #"{"errcode":40029,"errmsg":"签名错误"}"#
        #expect(throws: PaymentRejection.unsupported("gateway refused")) {
            try HupiJiaoProtocol.parseCreate(Array(refused.utf8), config: Self.config)
        }
    }

    @Test("The query is a signed form with out_trade_order; its reply maps data.status")
    func query() throws {
        let request = try HupiJiaoProtocol.queryRequest(
            Self.config, orderNo: "W20240101000001", now: 1_700_000_200, nonce: "q1")
        #expect(request.url == "https://api.xunhupay.com/payment/query.html")
        let form = try Self.form(request)
        #expect(form["out_trade_order"] == "W20240101000001")
        #expect(form["hash"] == MD5Signing.sign(form, secret: Self.secret, excluding: ["hash"]))
        #expect(Set(form.keys) == ["appid", "out_trade_order", "time", "nonce_str", "hash"])

        // The nested `data` makes the reply hash unverifiable (see parseQuery): it is not checked.
        let paid = #"""
            {"errcode":0,"errmsg":"success!",
             "data":{"status":"OD","total_fee":"9.90","open_order_id":"20240101000000001",
                     "transaction_id":"4200002024010100001"},"hash":"0000"}
            """#
        let notice = try HupiJiaoProtocol.parseQuery(Array(paid.utf8), orderNo: "W20240101000001", config: Self.config)
        #expect(notice?.status == .paid)
        #expect(notice?.amountText == "9.90")
        #expect(notice?.tradeNo == "20240101000000001")
        #expect(notice?.orderNo == "W20240101000001")
        let waiting = #"{"errcode":0,"data":{"status":"WP"}}"#
        #expect(
            try HupiJiaoProtocol.parseQuery(Array(waiting.utf8), orderNo: "W1", config: Self.config)?.status == .pending
        )
        let missing = #"{"errcode":40001,"errmsg":"订单不存在"}"#
        #expect(try HupiJiaoProtocol.parseQuery(Array(missing.utf8), orderNo: "W1", config: Self.config) == nil)
        let flatForged = #"{"errcode":40001,"errmsg":"x","hash":"0000"}"#
        #expect(throws: PaymentRejection.badSignature) {
            try HupiJiaoProtocol.parseQuery(Array(flatForged.utf8), orderNo: "W1", config: Self.config)
        }
    }

    @Test("The refund is a signed form with a reason cut to 80 characters; CD and RD are accepted")
    func refund() throws {
        let reason = String(repeating: "退", count: 100)
        let request = try HupiJiaoProtocol.refundRequest(
            Self.config, orderNo: "W1", reason: reason, now: 5, nonce: "r1")
        #expect(request.url == "https://api.xunhupay.com/payment/refund.html")
        let form = try Self.form(request)
        #expect(form["reason"]?.count == 80)
        #expect(form["trade_order_id"] == "W1")
        #expect(form["hash"] == MD5Signing.sign(form, secret: Self.secret, excluding: ["hash"]))
        #expect(try HupiJiaoProtocol.parseRefund(Array(#"{"errcode":0,"refund_status":"CD"}"#.utf8)))
        #expect(try HupiJiaoProtocol.parseRefund(Array(#"{"errcode":"0","refund_status":"RD"}"#.utf8)))
        #expect(try !HupiJiaoProtocol.parseRefund(Array(#"{"errcode":0,"refund_status":"UD"}"#.utf8)))
        #expect(try !HupiJiaoProtocol.parseRefund(Array(#"{"errcode":1,"refund_status":"CD"}"#.utf8)))
    }
}
