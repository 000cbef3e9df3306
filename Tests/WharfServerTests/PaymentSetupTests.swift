import Testing
import WharfCore
import WharfServer
import WharfStorage

/// What an operator may configure, and where a gateway's reply may send a payer.
@Suite("Payments: gateway set-up and pay-page addresses")
struct PaymentSetupTests {
    static func make(
        kind: String = "epay", url: String = "https://pay.example.com", key: String = "k", webhook: String? = nil,
        currency: String = "CNY", merchant: String? = "1001"
    ) throws(PaymentGatewaySetup.Problem) -> PaymentGatewayRecord {
        try PaymentGatewaySetup.make(
            name: "g", kind: kind, gatewayURL: url, merchantID: merchant, key: key, webhookSecret: webhook,
            currency: currency, creditPerUnit: "0.14", methods: nil, minAmount: nil, maxAmount: nil
        ).0
    }

    @Test("Plain http is accepted only for loopback and private addresses; odd hosts, ports and paths are refused")
    func gatewayURLs() throws {
        #expect(try Self.make(url: "https://pay.example.com/").gatewayURL == "https://pay.example.com")
        for url in [
            "http://127.0.0.1:9000", "http://192.168.1.5/epay", "http://10.0.0.2", "http://localhost:8080",
            "http://bepusdt:8080",
        ] {
            #expect(throws: Never.self) { try Self.make(url: url) }
        }
        for url in [
            "http://pay.example.com", "http://8.8.8.8", "https://a.com:99999", #"https://a.com/"><x"#,
            "https://a.com;x",
            "http://[::1]:8443", "https://user:pw@pay.example.com", "https://pay.example.com/?a=b",
            "ftp://pay.example.com", "http://010.0.0.1", "http://0172.16.0.1", "http://134744072", "http://0x8080808",
            "http://192.168.1", "http://172.32.0.1",
        ] {
            #expect(throws: PaymentGatewaySetup.Problem.self, "\(url)") { try Self.make(url: url) }
        }
    }

    @Test(
        "Keys with stray whitespace, empty keys, a Stripe instance without a webhook secret and currencies the gateway cannot express are refused"
    )
    func secretsAndCurrencies() throws {
        for key in ["", " ", "abc ", "\nabc"] {
            #expect(throws: PaymentGatewaySetup.Problem.self) { try Self.make(key: key) }
        }
        #expect(throws: PaymentGatewaySetup.Problem.self) {
            try Self.make(kind: "stripe", url: "https://api.stripe.com", merchant: nil)
        }
        #expect(throws: PaymentGatewaySetup.Problem.self) { try Self.make(currency: "KWD") }
        #expect(throws: PaymentGatewaySetup.Problem.self) { try Self.make(currency: "JPY") }
        let yen = try Self.make(kind: "stripe", url: "https://api.stripe.com", webhook: "whsec_1", currency: "jpy")
        #expect(yen.currency == "JPY")
        #expect(throws: PaymentGatewaySetup.Problem.self) { try Self.make(merchant: nil) }
    }

    @Test("A pay page from a gateway's reply must be https, or on the gateway's own http origin, with no user info")
    func payPages() {
        let gateway = "http://192.168.1.5:8000/epusdt"
        for url in ["https://checkout.stripe.com/c/pay/cs_1", "http://192.168.1.5:8000/pay/E1"] {
            #expect(PaymentURLs.isAllowedPayPage(url, gatewayURL: gateway), "\(url)")
        }
        for url in [
            "javascript:alert(1)", "data:text/html,<script>", "//evil.example/x", "http://evil.example/pay",
            "http://192.168.1.5:8001/pay", "https://user@evil.example", "https://evil.example/a b", "",
            "https://evil.example/\r\nSet-Cookie: a=b",
        ] {
            #expect(!PaymentURLs.isAllowedPayPage(url, gatewayURL: gateway), "\(url)")
        }
    }

    @Test("After expiry an order is asked about after 1, 2, 4 and then every 6 hours, for three days, then never")
    func latePollSchedule() {
        let hour: Int64 = 3_600_000
        func next(_ now: Int64) -> Int64? {
            PaymentReconciler.nextPoll(status: .expired, expiresAt: 0, polls: 7, now: now)
        }
        #expect(next(0) == hour)
        #expect(next(hour) == 2 * hour)
        #expect(next(2 * hour) == 4 * hour)
        #expect(next(4 * hour) == 8 * hour)
        #expect(next(8 * hour) == 14 * hour)
        #expect(next(70 * hour) == nil)
        #expect(PaymentReconciler.nextPoll(status: .pending, expiresAt: hour, polls: 0, now: 0) == 60_000)
        #expect(PaymentReconciler.nextPoll(status: .pending, expiresAt: hour, polls: 9, now: 50 * 60_000) == hour)
    }
}
