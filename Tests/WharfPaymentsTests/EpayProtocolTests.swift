import Testing
import WharfPayments

@Suite("Epay v1 (MD5)")
struct EpayProtocolTests {
    static let key = "89unJUB8HZ54Hj7x4nUj56HN4nUzUJ8i"
    static let config = EpayConfig(baseURL: "https://pay.example/", merchantID: "1001", key: key)
    /// The notify query exactly as the v1 server sends it (research §1.4).
    static let notifyQuery =
        "money=1.00&name=VIP%E4%BC%9A%E5%91%98&out_trade_no=20160806151343349&pid=1001&trade_no=2016080622555342651"
        + "&trade_status=TRADE_SUCCESS&type=alipay&sign=42729bbb004977e3ac0f0a2a639558a0&sign_type=MD5"

    static func notifyParams() throws -> [String: String] { try FormParameters.parse(notifyQuery) }

    static func resigned(_ params: [String: String], key: String = key) -> [String: String] {
        var params = params
        params["sign"] = MD5Signing.sign(params, secret: key, excluding: ["sign", "sign_type"])
        return params
    }

    @Test("The submit form reproduces the research vector 1156f417…, fields in the fixed order")
    func submitVector() throws {
        let form = try EpayProtocol.pagePayForm(
            Self.config, orderNo: "20160806151343349", method: "alipay", amountMinor: 100, name: "VIP会员",
            notifyURL: "http://www.example.com/notify_url.php", returnURL: "http://www.example.com/return_url.php")
        #expect(form.action == "https://pay.example/submit.php")
        #expect(
            form.fields.map(\.0) == [
                "pid", "type", "out_trade_no", "notify_url", "return_url", "name", "money", "sign", "sign_type",
            ])
        let fields = Dictionary(uniqueKeysWithValues: form.fields)
        #expect(fields["money"] == "1.00")
        #expect(fields["name"] == "VIP会员")
        #expect(fields["sign"] == "1156f417735c752cbd835fd4db8ef84e")
        #expect(fields["sign_type"] == "MD5")
    }

    @Test("A callback URL with a query is refused, since the gateway would append unsigned parameters to it")
    func callbackURLWithQuery() {
        #expect(throws: PaymentRejection.self) {
            try EpayProtocol.pagePayForm(
                Self.config, orderNo: "W1", method: "alipay", amountMinor: 100, name: "n",
                notifyURL: "https://h/notify?x=y", returnURL: "https://h/return")
        }
    }

    @Test("An empty param is dropped and sign_type is excluded from the signed string")
    func emptyParamDropped() {
        var params = [
            "pid": "1001", "type": "alipay", "out_trade_no": "20160806151343349",
            "notify_url": "http://www.example.com/notify_url.php",
            "return_url": "http://www.example.com/return_url.php",
            "name": "VIP会员", "money": "1.00", "param": "", "sign_type": "MD5",
        ]
        #expect(
            MD5Signing.sign(params, secret: Self.key, excluding: ["sign", "sign_type"])
                == "1156f417735c752cbd835fd4db8ef84e")
        params["param"] = "x"
        #expect(
            MD5Signing.sign(params, secret: Self.key, excluding: ["sign", "sign_type"])
                != "1156f417735c752cbd835fd4db8ef84e")
    }

    @Test("The PHP-urlencoded notify query decodes and verifies as the research vector 42729bbb…")
    func notifyVector() throws {
        let params = try Self.notifyParams()
        #expect(params["name"] == "VIP会员")
        #expect(
            MD5Signing.canonical(params, excluding: ["sign", "sign_type"])
                == "money=1.00&name=VIP会员&out_trade_no=20160806151343349&pid=1001&trade_no=2016080622555342651"
                + "&trade_status=TRADE_SUCCESS&type=alipay")
        let notice = try EpayProtocol.verifyNotification(params, config: Self.config)
        #expect(
            notice
                == PaymentNotice(
                    orderNo: "20160806151343349", tradeNo: "2016080622555342651", amountText: "1.00",
                    merchantID: "1001",
                    status: .paid, method: "alipay"))
    }

    @Test("The server's query string is the PHP urlencode of the sorted params")
    func notifyQueryEncoding() throws {
        let params = try Self.notifyParams()
        let sorted = params.filter { $0.key != "sign" && $0.key != "sign_type" }.sorted { $0.key < $1.key }
        let encoded = FormParameters.encode(
            sorted.map { ($0.key, $0.value) } + [("sign", params["sign"] ?? ""), ("sign_type", "MD5")])
        #expect(encoded == Self.notifyQuery)
    }

    @Test("A POST form body with the same params verifies the same way")
    func postNotify() throws {
        let body = Self.notifyQuery.split(separator: "&").reversed().joined(separator: "&")
        #expect(
            try EpayProtocol.verifyNotification(try FormParameters.parse(body), config: Self.config).status == .paid)
    }

    @Test("Changing money to 100.00 breaks the signature; a fake that tampers must re-sign (54b0ea7a…)")
    func tampered() throws {
        var params = try Self.notifyParams()
        params["money"] = "100.00"
        #expect(throws: PaymentRejection.badSignature) {
            try EpayProtocol.verifyNotification(params, config: Self.config)
        }
        let resigned = Self.resigned(params)
        #expect(resigned["sign"] == "54b0ea7aa130b0befb8c72c7543bf402")
        #expect(try EpayProtocol.verifyNotification(resigned, config: Self.config).amountText == "100.00")
    }

    @Test("A missing sign, or one made with another key, is refused; an upper-case hex sign is accepted")
    func signatureChecks() throws {
        var params = try Self.notifyParams()
        params["sign"] = nil
        #expect(throws: PaymentRejection.badSignature) {
            try EpayProtocol.verifyNotification(params, config: Self.config)
        }
        #expect(throws: PaymentRejection.badSignature) {
            try EpayProtocol.verifyNotification(Self.resigned(params, key: "other"), config: Self.config)
        }
        params = try Self.notifyParams()
        params["sign"] = params["sign"]?.uppercased()
        #expect(try EpayProtocol.verifyNotification(params, config: Self.config).status == .paid)
        params["sign_type"] = "RSA"
        #expect(throws: PaymentRejection.self) { try EpayProtocol.verifyNotification(params, config: Self.config) }
    }

    @Test("A duplicated money key in the notify is refused before verification")
    func duplicateKey() {
        #expect(throws: PaymentRejection.malformed("form field repeated")) {
            try FormParameters.parse(Self.notifyQuery + "&money=100.00")
        }
    }

    @Test("A correctly signed notify for another pid is refused as the wrong merchant")
    func wrongMerchant() throws {
        var params = try Self.notifyParams()
        params["pid"] = "1002"
        #expect(throws: PaymentRejection.wrongMerchant) {
            try EpayProtocol.verifyNotification(Self.resigned(params), config: Self.config)
        }
        params["pid"] = nil
        #expect(throws: PaymentRejection.wrongMerchant) {
            try EpayProtocol.verifyNotification(Self.resigned(params), config: Self.config)
        }
    }

    @Test("trade_status maps to paid, closed or pending")
    func tradeStatus() throws {
        var params = try Self.notifyParams()
        params["trade_status"] = "TRADE_CLOSED"
        #expect(try EpayProtocol.verifyNotification(Self.resigned(params), config: Self.config).status == .closed)
        params["trade_status"] = "WAIT_BUYER_PAY"
        #expect(try EpayProtocol.verifyNotification(Self.resigned(params), config: Self.config).status == .pending)
    }

    @Test("A gateway using the &key= style verifies with that style only")
    func ampKeyGateway() throws {
        var params = try Self.notifyParams()
        params["sign"] = MD5Signing.sign(params, secret: Self.key, excluding: ["sign", "sign_type"], style: .ampKey)
        let amp = EpayConfig(baseURL: "https://pay.example", merchantID: "1001", key: Self.key, signStyle: .ampKey)
        #expect(try EpayProtocol.verifyNotification(params, config: amp).status == .paid)
        #expect(throws: PaymentRejection.badSignature) {
            try EpayProtocol.verifyNotification(params, config: Self.config)
        }
    }

    @Test("An empty or blank key refuses every call")
    func missingKey() throws {
        for key in ["", "  "] {
            let empty = EpayConfig(baseURL: "https://pay.example", merchantID: "1001", key: key)
            let params = Self.resigned(try Self.notifyParams(), key: key)
            #expect(throws: PaymentRejection.missingSecret) {
                try EpayProtocol.verifyNotification(params, config: empty)
            }
            #expect(throws: PaymentRejection.missingSecret) {
                try EpayProtocol.pagePayForm(
                    empty, orderNo: "W1", method: "alipay", amountMinor: 100, name: "n", notifyURL: "u", returnURL: "r")
            }
            #expect(throws: PaymentRejection.missingSecret) { try EpayProtocol.queryRequest(empty, orderNo: "W1") }
            #expect(throws: PaymentRejection.missingSecret) {
                try EpayProtocol.refundRequest(empty, orderNo: "W1", amountMinor: 100)
            }
        }
    }

    @Test("The order query is a GET on api.php with act=order, pid, key and out_trade_no")
    func queryRequest() throws {
        let request = try EpayProtocol.queryRequest(Self.config, orderNo: "W 1")
        #expect(request.method == "GET")
        #expect(request.url == "https://pay.example/api.php?act=order&pid=1001&key=\(Self.key)&out_trade_no=W+1")
        #expect(request.body == nil)
    }

    @Test("A query reply with numbers as strings parses; status 1 is paid, 0 pending")
    func queryReplyWithStrings() throws {
        let paid = #"""
            {"code":"1","msg":"查询订单号成功！","trade_no":"2016080622555342651","out_trade_no":"20160806151343349",
             "type":"alipay","pid":"1001","addtime":"2016-08-06 22:55:52","endtime":"2016-08-06 22:55:52",
             "name":"VIP会员","money":"1.00","status":"1","param":"","buyer":""}
            """#
        let notice = try EpayProtocol.parseQuery(Array(paid.utf8), config: Self.config)
        #expect(notice?.status == .paid)
        #expect(notice?.orderNo == "20160806151343349")
        #expect(notice?.tradeNo == "2016080622555342651")
        #expect(notice?.amountText == "1.00")
        #expect(notice?.method == "alipay")
        let unpaid = #"{"code":1,"out_trade_no":"W1","pid":1001,"money":1.5,"status":0}"#
        let pending = try EpayProtocol.parseQuery(Array(unpaid.utf8), config: Self.config)
        #expect(pending?.status == .pending)
        #expect(pending?.amountText == "1.5")
    }

    @Test("A query reply with code other than 1 is unknown; another pid is refused; bad JSON is malformed")
    func queryReplyFailures() throws {
        #expect(try EpayProtocol.parseQuery(Array(#"{"code":-1,"msg":"订单不存在"}"#.utf8), config: Self.config) == nil)
        #expect(try EpayProtocol.parseQuery(Array(#"{"code":"0"}"#.utf8), config: Self.config) == nil)
        #expect(throws: PaymentRejection.wrongMerchant) {
            try EpayProtocol.parseQuery(
                Array(#"{"code":1,"pid":"9","out_trade_no":"W1","status":1}"#.utf8), config: Self.config)
        }
        #expect(throws: PaymentRejection.self) {
            try EpayProtocol.parseQuery(Array("<html>".utf8), config: Self.config)
        }
        #expect(throws: PaymentRejection.self) {
            try EpayProtocol.parseQuery(Array(#"{"code":1,"code":0}"#.utf8), config: Self.config)
        }
    }

    @Test("A refund is a POST form to api.php?act=refund; code 1 as number or string is success")
    func refund() throws {
        let request = try EpayProtocol.refundRequest(Self.config, orderNo: "W1", amountMinor: 990)
        #expect(request.method == "POST")
        #expect(request.url == "https://pay.example/api.php?act=refund")
        #expect(request.header("Content-Type") == "application/x-www-form-urlencoded")
        let body = try FormParameters.parse(String(decoding: request.body ?? [], as: UTF8.self))
        #expect(body == ["pid": "1001", "key": Self.key, "out_trade_no": "W1", "money": "9.90"])
        #expect(try EpayProtocol.parseRefund(Array(#"{"code":1,"msg":"退款成功"}"#.utf8)))
        #expect(try EpayProtocol.parseRefund(Array(#"{"code":"1"}"#.utf8)))
        #expect(try !EpayProtocol.parseRefund(Array(#"{"code":0,"msg":"不支持"}"#.utf8)))
        #expect(throws: PaymentRejection.self) { try EpayProtocol.parseRefund(Array("success".utf8)) }
    }
}
