import AsyncHTTPClient
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import NIOHTTP1
import Testing
import WharfCore
import WharfPayments
import WharfServer
import WharfStorage

/// A running Wharf (SQLite, or PostgreSQL when `WHARF_TEST_POSTGRES_URL` is set) with five payment gateway instances
/// pointing at ``FakeGateways``, and alice signed in. Scenarios top up through the console and send callbacks the
/// way each gateway does, signed with the gateway's rule.
struct PaymentHarness {
    let relay: RelayHarness
    let fake: FakeGateways
    let fakePort: Int
    let browser: WebBrowser
    /// Gateway instances by name.
    let gateways: [String: PaymentGatewayRecord]

    static let epayKey = "89unJUB8HZ54Hj7x4nUj56HN4nUzUJ8i"
    static let otherEpayKey = "another-epay-merchant-key"
    static let hupiSecret = "6D7B025B8DD098C485F0805193136FB9"
    static let hupiAppID = "20146123713"
    static let stripeKey = "sk_test_fake_key"
    static let stripeWebhookSecret = "whsec_test_secret"
    static let epusdtToken = "epusdt_password_xasddawqe"
    static let password = "a long password 1"

    var store: WharfStore { relay.store }

    /// SQLite always; PostgreSQL when `WHARF_TEST_POSTGRES_URL` is set.
    static var backends: [String] { WebSessionRevocationTests.backends }

    static func with(_ backend: String, _ body: @Sendable (PaymentHarness) async throws -> Void) async throws {
        let fake = FakeGateways()
        let portBox = PortBox()
        let fakeApp = Application(
            router: fake.router(port: { portBox.port }), configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            logger: Logger(label: "fake-gateways"))
        try await fakeApp.test(.live) { fakeClient in
            let fakePort = try #require(fakeClient.port)
            portBox.port = fakePort
            try await withDatabaseURL(backend) { url in
                try await RelayHarness.with(tune: { $0.databaseURL = url }) { relay in
                    let base = "http://127.0.0.1:\(fakePort)"
                    var gateways: [String: PaymentGatewayRecord] = [:]
                    let specs: [(String, String, String, String?, String, String?, String, String, String?)] = [
                        ("epay", "epay", base + "/epay", "1001", epayKey, nil, "CNY", "0.5", "alipay,wxpay"),
                        ("epay-b", "epay", base + "/epay", "1001", otherEpayKey, nil, "CNY", "0.5", nil),
                        ("hupi", "hupijiao", base + "/hupi", hupiAppID, hupiSecret, nil, "CNY", "0.5", nil),
                        ("stripe", "stripe", base + "/stripe", nil, stripeKey, stripeWebhookSecret, "USD", "1", nil),
                        ("usdt", "epusdt", base + "/epusdt", nil, epusdtToken, nil, "CNY", "0.5", nil),
                    ]
                    for s in specs {
                        let (record, secrets) = try PaymentGatewaySetup.make(
                            name: s.0, kind: s.1, gatewayURL: s.2, merchantID: s.3, key: s.4, webhookSecret: s.5,
                            currency: s.6, creditPerUnit: s.7, methods: s.8, minAmount: "1", maxAmount: "1000")
                        try await relay.store.addPaymentGateway(record, secrets: secrets)
                        gateways[s.0] = record
                    }
                    let alice = try await relay.store.user(email: "alice@example.com")
                    try await relay.store.setPasswordHash(
                        userID: try #require(alice).id, hash: try await AccountService.hash(password, cost: 4))
                    let browser = WebBrowser(port: relay.port)
                    try await browser.signIn(email: "alice@example.com", password: password)
                    try await body(
                        PaymentHarness(
                            relay: relay, fake: fake, fakePort: fakePort, browser: browser, gateways: gateways))
                }
            }
        }
    }

    /// A fresh database URL for `backend` (nil: SQLite in the data directory).
    static func withDatabaseURL(_ backend: String, _ body: (String?) async throws -> Void) async throws {
        guard backend == "postgres" else { return try await body(nil) }
        try await FreshPostgres.with(prefix: "wharf_p_") { url in try await body(url) }
    }

    /// Tops up through the console; returns the answer and the order it made.
    func topUp(_ gateway: String, amount: String, method: String? = nil) async throws -> (
        WebBrowser.Page, PaymentOrder?
    ) {
        try await browser.get("/console/billing")
        var fields = [("gateway", gateway), ("amount", amount)]
        if let method { fields.append(("method", method)) }
        let page = try await browser.post("/console/billing/topup", fields)
        let order = try await store.orders(userID: relay.user.id, limit: 1).first
        return (page, order)
    }

    func balance() async throws -> Money { try await store.balance(userID: relay.user.id) }

    /// A callback as a gateway sends it.
    struct Callback: Sendable {
        var method: HTTPMethod
        var query: String = ""
        var body: String = ""
        var contentType: String? = nil
        var headers: [(String, String)] = []
    }

    /// Sends `callback` to the callback address of gateway instance `gateway`.
    func deliver(_ callback: Callback, to gateway: String) async throws -> (status: Int, body: String) {
        let id = gateways[gateway]?.id ?? "pgw_unknown"
        var request = HTTPClientRequest(
            url: "http://127.0.0.1:\(relay.port)/api/pay/\(id)/notify"
                + (callback.query.isEmpty ? "" : "?" + callback.query))
        request.method = callback.method
        if let type = callback.contentType { request.headers.add(name: "content-type", value: type) }
        for (n, v) in callback.headers { request.headers.add(name: n, value: v) }
        if !callback.body.isEmpty { request.body = .bytes(ByteBuffer(string: callback.body)) }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        let body = try await response.body.collect(upTo: 1 << 20)
        return (Int(response.status.code), String(buffer: body))
    }

    // MARK: callbacks signed as each gateway signs them

    static func epayNotify(
        _ order: String, money: String, status: String = "TRADE_SUCCESS", pid: String = "1001",
        key: String = epayKey, tradeNo: String? = nil, post: Bool = false
    ) -> Callback {
        var params = [
            "pid": pid, "trade_no": tradeNo ?? "T-\(order)", "out_trade_no": order, "type": "alipay",
            "name": "Wharf credit top-up", "money": money, "trade_status": status,
        ]
        params["sign"] = MD5Signing.sign(params, secret: key, excluding: ["sign", "sign_type"])
        params["sign_type"] = "MD5"
        let text = FormParameters.encode(params.sorted { $0.key < $1.key })
        return post
            ? Callback(method: .POST, body: text, contentType: "application/x-www-form-urlencoded")
            : Callback(method: .GET, query: text)
    }

    static func hupiNotify(
        _ order: String, fee: String, status: String = "OD", appid: String = hupiAppID, secret: String = hupiSecret
    ) -> Callback {
        var params = [
            "appid": appid, "trade_order_id": order, "total_fee": fee, "transaction_id": "4200\(order.suffix(6))",
            "open_order_id": "H-\(order)", "order_title": "Wharf credit top-up", "status": status,
            "time": "1700000100", "nonce_str": "p8w2m4z7",
        ]
        params["hash"] = MD5Signing.sign(params, secret: secret, excluding: ["hash"])
        return Callback(
            method: .POST, body: FormParameters.encode(params.sorted { $0.key < $1.key }),
            contentType: "application/x-www-form-urlencoded")
    }

    /// epusdt signs the JSON values as their text: `amount` is the fiat amount as a JSON number.
    static func epusdtCallback(
        _ order: String, amount: String, status: Int = 2, tx: String? = nil, token: String = epusdtToken
    ) -> Callback {
        let transaction = tx ?? "0x" + String(repeating: "ab", count: 30) + String(order.suffix(4)).lowercased()
        let fields: [String: String] = [
            "trade_id": "E-\(order)", "order_id": order, "amount": amount, "actual_amount": "1.3889",
            "token": "TNEns8t9jbWENbStkQdVQtHMGpbsYsQjZK", "block_transaction_id": transaction,
            "status": "\(status)",
        ]
        let signature = MD5Signing.sign(fields, secret: token, excluding: ["signature"])
        let body =
            #"{"trade_id":"E-\#(order)","order_id":"\#(order)","amount":\#(amount),"actual_amount":1.3889,"#
            + #""token":"TNEns8t9jbWENbStkQdVQtHMGpbsYsQjZK","block_transaction_id":"\#(transaction)","#
            + #""signature":"\#(signature)","status":\#(status)}"#
        return Callback(method: .POST, body: body, contentType: "application/json")
    }

    /// A Stripe event of `type` whose `data.object` is `object`, signed at `timestamp` (now unless given).
    static func stripeEvent(
        _ type: String, object: String, secret: String = stripeWebhookSecret, timestamp: Int64? = nil,
        eventID: String = "evt_\(UUID().uuidString.prefix(8))"
    ) -> Callback {
        let payload =
            #"{"id":"\#(eventID)","object":"event","type":"\#(type)","livemode":false,"data":{"object":\#(object)}}"#
        let t = timestamp ?? Int64(Date().timeIntervalSince1970)
        let header = StripeWebhook.signatureHeader(payload: Array(payload.utf8), secret: secret, timestamp: t)
        return Callback(
            method: .POST, body: payload, contentType: "application/json", headers: [("Stripe-Signature", header)])
    }

    static func stripeSession(_ order: PaymentOrder, paymentStatus: String = "paid", amount: Int64? = nil) -> String {
        #"{"id":"\#(order.providerRef ?? "cs_test_not_this_order")","object":"checkout.session","client_reference_id":"\#(order.id)","#
            + #""amount_total":\#(amount ?? order.amount),"currency":"usd","payment_status":"\#(paymentStatus)","#
            + #""payment_intent":"pi_\#(order.id)","mode":"payment"}"#
    }
}

/// The fake's port, known only once it listens.
final class PortBox: @unchecked Sendable {
    private let lock = NSLock()
    private var value = 0
    var port: Int {
        get { lock.withLock { value } }
        set { lock.withLock { value = newValue } }
    }
}
