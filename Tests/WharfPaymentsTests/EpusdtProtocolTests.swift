import Testing
import WharfPayments

@Suite("epusdt protocol")
struct EpusdtProtocolTests {
    static let token = "epusdt_password_xasddawqe"
    static let config = EpusdtConfig(baseURL: "https://usdt.example/", token: token)
    static let callbackSignature = "5a8eb4f864462dc6965efe56c3f95bf8"

    static func callback(
        amount: String = "100", actualAmount: String = "14.2857", status: String = "2",
        signature: String = callbackSignature
    ) -> [UInt8] {
        let text =
            #"{"trade_id":"202203251648208648961728","order_id":"W20240101000002","amount":\#(amount),"#
            + #""actual_amount":\#(actualAmount),"token":"TNEns8t9jbWENbStkQdVQtHMGpbsYsQjZK","#
            + #""block_transaction_id":"6f2c8a0e7b1d4c3a9e5f00112233445566778899aabbccddeeff001122334455","#
            + #""signature":"\#(signature)","status":\#(status)}"#
        return Array(text.utf8)
    }

    static func resigned(_ fields: [String: String]) -> String {
        MD5Signing.sign(fields, secret: token, excluding: ["signature"])
    }

    static let baseFields = [
        "trade_id": "202203251648208648961728", "order_id": "W20240101000002", "amount": "100",
        "actual_amount": "14.2857", "token": "TNEns8t9jbWENbStkQdVQtHMGpbsYsQjZK",
        "block_transaction_id": "6f2c8a0e7b1d4c3a9e5f00112233445566778899aabbccddeeff001122334455", "status": "2",
    ]

    @Test("The create request reproduces the documented signature 1cd4b52d… with the amount written as 42")
    func createVector() throws {
        let request = try EpusdtProtocol.createRequest(
            Self.config, orderNo: "20220201030210321", amountMinor: 4200, notifyURL: "http://example.com/notify",
            redirectURL: "http://example.com/redirect")
        #expect(request.method == "POST")
        #expect(request.url == "https://usdt.example/api/v1/order/create-transaction")
        #expect(request.header("Content-Type") == "application/json")
        let body = String(decoding: request.body ?? [], as: UTF8.self)
        #expect(
            body
                == #"{"amount":42,"notify_url":"http://example.com/notify","order_id":"20220201030210321","#
                + #""redirect_url":"http://example.com/redirect","signature":"1cd4b52df5587cfb1968b0c0c6e156cd"}"#)
        #expect(!request.description.contains("1cd4b52d"))
    }

    @Test("Amounts are written in shortest form and signed as written; strings are JSON-escaped")
    func createShortest() throws {
        let request = try EpusdtProtocol.createRequest(
            Self.config, orderNo: "W\"1", amountMinor: 1420, notifyURL: "http://n", redirectURL: "")
        let body = String(decoding: request.body ?? [], as: UTF8.self)
        let signature = MD5Signing.sign(
            ["amount": "14.2", "notify_url": "http://n", "order_id": "W\"1"], secret: Self.token, excluding: [])
        #expect(body == #"{"amount":14.2,"notify_url":"http://n","order_id":"W\"1","signature":"\#(signature)"}"#)
    }

    @Test("An empty token, a zero amount or an absurd amount is refused")
    func createRefusals() {
        let empty = EpusdtConfig(baseURL: "https://usdt.example", token: "")
        #expect(throws: PaymentRejection.missingSecret) {
            try EpusdtProtocol.createRequest(empty, orderNo: "W1", amountMinor: 100, notifyURL: "n", redirectURL: "r")
        }
        #expect(throws: PaymentRejection.self) {
            try EpusdtProtocol.createRequest(
                Self.config, orderNo: "W1", amountMinor: 0, notifyURL: "n", redirectURL: "r")
        }
        #expect(throws: PaymentRejection.self) {
            try EpusdtProtocol.createRequest(
                Self.config, orderNo: "W1", amountMinor: Int64.max, notifyURL: "n", redirectURL: "r")
        }
    }

    @Test("The create reply gives the trade id and payment URL; another status code is a refusal")
    func createReply() throws {
        let reply = #"""
            {"status_code":200,"message":"success","data":{"trade_id":"202203251648208648961728","order_id":"W1",
             "amount":42,"actual_amount":5.6,"token":"T…","expiration_time":1700000600,
             "payment_url":"https://usdt.example/pay/checkout-counter/202203251648208648961728"},"request_id":"r"}
            """#
        let parsed = try EpusdtProtocol.parseCreate(Array(reply.utf8))
        #expect(parsed.tradeID == "202203251648208648961728")
        #expect(parsed.paymentURL == "https://usdt.example/pay/checkout-counter/202203251648208648961728")
        #expect(throws: PaymentRejection.unsupported("gateway refused")) {
            try EpusdtProtocol.parseCreate(Array(#"{"status_code":10002,"message":"order exists"}"#.utf8))
        }
    }

    @Test("The callback vector 5a8eb4f8… verifies with amount 100 and actual_amount 14.2857 as JSON numbers")
    func callbackVector() throws {
        let notice = try EpusdtProtocol.verifyCallback(Self.callback(), config: Self.config)
        #expect(
            notice
                == PaymentNotice(
                    orderNo: "W20240101000002", tradeNo: "202203251648208648961728", amountText: "100", status: .paid,
                    transactionReference: "6f2c8a0e7b1d4c3a9e5f00112233445566778899aabbccddeeff001122334455"))
        #expect(Self.resigned(Self.baseFields) == Self.callbackSignature)
    }

    @Test("A number written differently is a different signed text: 100.00 does not verify as 100")
    func tokenTextMatters() {
        #expect(throws: PaymentRejection.badSignature) {
            try EpusdtProtocol.verifyCallback(Self.callback(amount: "100.00"), config: Self.config)
        }
        #expect(throws: PaymentRejection.badSignature) {
            try EpusdtProtocol.verifyCallback(Self.callback(amount: "1"), config: Self.config)
        }
    }

    @Test("BEpusdt string amounts verify and are returned as sent")
    func stringAmounts() throws {
        var fields = Self.baseFields
        fields["amount"] = "4.25"
        let body = Self.callback(amount: "\"4.25\"", signature: Self.resigned(fields))
        let notice = try EpusdtProtocol.verifyCallback(body, config: Self.config)
        #expect(notice.amountText == "4.25")
        #expect(CurrencyAmount.parseMinor(notice.amountText ?? "", exponent: 2) == 425)
    }

    @Test("status 1 is pending and 3 is closed, as numbers or strings")
    func statuses() throws {
        for (status, expected) in [("1", PaymentNotice.Status.pending), ("3", .closed), ("\"2\"", .paid)] {
            var fields = Self.baseFields
            fields["status"] = status.replacing("\"", with: "")
            let body = Self.callback(status: status, signature: Self.resigned(fields))
            #expect(try EpusdtProtocol.verifyCallback(body, config: Self.config).status == expected)
        }
    }

    @Test("Null and empty members are dropped from the signed text")
    func nullDropped() throws {
        let signature = Self.resigned(["order_id": "W1", "amount": "1", "status": "2"])
        let body =
            #"{"order_id":"W1","amount":1,"status":2,"block_transaction_id":null,"token":"","#
            + #""signature":"\#(signature)"}"#
        #expect(try EpusdtProtocol.verifyCallback(Array(body.utf8), config: Self.config).status == .paid)
    }

    @Test("Duplicate members, nested members, bad JSON and bodies over 16 KiB are malformed")
    func malformed() {
        let duplicate = #"{"order_id":"W1","amount":1,"amount":100,"signature":"x"}"#
        #expect(throws: PaymentRejection.malformed("JSON member repeated")) {
            try EpusdtProtocol.verifyCallback(Array(duplicate.utf8), config: Self.config)
        }
        let nested = #"{"order_id":"W1","extra":{"a":1},"signature":"x"}"#
        #expect(throws: PaymentRejection.self) {
            try EpusdtProtocol.verifyCallback(Array(nested.utf8), config: Self.config)
        }
        #expect(throws: PaymentRejection.self) {
            try EpusdtProtocol.verifyCallback(Array("order_id=W1".utf8), config: Self.config)
        }
        let padded = Self.callback() + [UInt8](repeating: 0x20, count: 16 * 1024)
        #expect(throws: PaymentRejection.malformed("callback is larger than 16 KiB")) {
            try EpusdtProtocol.verifyCallback(padded, config: Self.config)
        }
    }

    @Test("An empty token is refused even for a callback signed with the empty token")
    func missingToken() {
        var fields = Self.baseFields
        fields["signature"] = nil
        let signature = MD5Signing.sign(fields, secret: "", excluding: [])
        let empty = EpusdtConfig(baseURL: "https://usdt.example", token: "")
        #expect(throws: PaymentRejection.missingSecret) {
            try EpusdtProtocol.verifyCallback(Self.callback(signature: signature), config: empty)
        }
    }

    @Test("A missing or wrong signature is refused")
    func badSignature() {
        #expect(throws: PaymentRejection.badSignature) {
            try EpusdtProtocol.verifyCallback(Self.callback(signature: ""), config: Self.config)
        }
        let other = EpusdtConfig(baseURL: "https://usdt.example", token: "another-token")
        #expect(throws: PaymentRejection.badSignature) {
            try EpusdtProtocol.verifyCallback(Self.callback(), config: other)
        }
    }
}
