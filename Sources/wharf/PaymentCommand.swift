import ArgumentParser
import Foundation
import WharfCore
import WharfPayments
import WharfServer
import WharfStorage

/// `wharf payment add|list|disable|enable`: payment gateway instances.
struct PaymentCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "payment", abstract: "Manage payment gateways (Epay, HupiJiao, Stripe, epusdt).",
        subcommands: [Add.self, List.self, Disable.self, Enable.self])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add a payment gateway; prints its callback URL (paste it into the gateway's dashboard).")
        @OptionGroup var options: ConfigOptions
        @Option(help: "A unique name, shown to users.") var name: String
        @Option(help: "epay, hupijiao, stripe or epusdt.") var kind: String
        @Option(help: "The gateway's address, e.g. https://pay.example.com or https://api.stripe.com.")
        var gatewayURL: String
        @Option(help: "Merchant id: Epay pid, HupiJiao appid.") var merchantId: String?
        @Option(help: "Merchant key (Epay, HupiJiao), secret key (Stripe) or API token (epusdt); stored encrypted.")
        var key: String
        @Option(help: "Stripe's webhook signing secret (whsec_…); stored encrypted.") var webhookSecret: String?
        @Option(help: "The currency the gateway charges in, e.g. CNY or USD.") var currency: String
        @Option(help: "Credit bought by one unit of the currency, e.g. 0.14.") var creditPerUnit: String
        @Option(help: "Comma-separated methods offered, e.g. alipay,wxpay.") var methods: String?
        @Option(help: "Smallest top-up, in the currency.") var minAmount: String?
        @Option(help: "Largest top-up, in the currency.") var maxAmount: String?

        func run() async throws {
            try await operatorTask(options) { runtime in
                let (record, secrets): (PaymentGatewayRecord, PaymentGatewaySecrets)
                do {
                    (record, secrets) = try PaymentGatewaySetup.make(
                        name: name, kind: kind, gatewayURL: gatewayURL, merchantID: merchantId, key: key,
                        webhookSecret: webhookSecret, currency: currency, creditPerUnit: creditPerUnit,
                        methods: methods, minAmount: minAmount, maxAmount: maxAmount)
                } catch let problem as PaymentGatewaySetup.Problem {
                    throw CommandFailure(problem.description)
                }
                try await runtime.store.addPaymentGateway(record, secrets: secrets)
                try await runtime.store.audit(
                    actorID: nil, action: "cli.payment_add", target: record.id, detail: "kind=\(record.kind)")
                // The callback URL alone on stdout, for scripts; the rest on stderr.
                print(PaymentURLs.callback(runtime.config, gatewayID: record.id))
                FileHandle.standardError.write(
                    Data(
                        "added payment gateway \(record.name) (\(record.id)); set public_url if this address is not the one the gateway can reach\n"
                            .utf8))
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List payment gateways (never their secrets).")
        @OptionGroup var options: ConfigOptions

        func run() async throws {
            try await operatorTask(options) { runtime in
                print(
                    "NAME\tKIND\tSTATUS\tCURRENCY\tCREDIT_PER_UNIT\tMETHODS\tMIN\tMAX\tMERCHANT\tGATEWAY_URL\tCALLBACK_URL"
                )
                for g in try await runtime.store.paymentGateways() {
                    let exponent = CurrencyAmount.exponent(for: g.currency)
                    let limit = { (v: Int64?) in v.map { CurrencyAmount.format($0, exponent: exponent) } ?? "-" }
                    print(
                        [
                            g.name, g.kind, g.enabled ? "enabled" : "disabled", g.currency, g.creditPerUnit.description,
                            g.methods.joined(separator: ","), limit(g.minAmount), limit(g.maxAmount),
                            g.merchantID ?? "-", g.gatewayURL, PaymentURLs.callback(runtime.config, gatewayID: g.id),
                        ].joined(separator: "\t"))
                }
            }
        }
    }

    struct Disable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Offer no new top-ups through a gateway (callbacks for its orders are still accepted).")
        @OptionGroup var options: ConfigOptions
        @Option(help: "Gateway name.") var name: String

        func run() async throws { try await setPaymentGateway(options, name, enabled: false) }
    }

    struct Enable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Offer top-ups through a gateway again.")
        @OptionGroup var options: ConfigOptions
        @Option(help: "Gateway name.") var name: String

        func run() async throws { try await setPaymentGateway(options, name, enabled: true) }
    }
}

func setPaymentGateway(_ options: ConfigOptions, _ name: String, enabled: Bool) async throws {
    try await operatorTask(options) { runtime in
        try await runtime.store.setPaymentGatewayEnabled(name: name, enabled: enabled)
        try await runtime.store.audit(
            actorID: nil, action: enabled ? "cli.payment_enable" : "cli.payment_disable", target: name)
        print("\(enabled ? "enabled" : "disabled") \(name)")
    }
}

/// `wharf code create`: redemption codes.
struct CodeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "code", abstract: "Redemption codes.", subcommands: [Create.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Make codes and print them, one a line. They are shown this once: only a keyed hash is stored.")
        @OptionGroup var options: ConfigOptions
        @Option(help: "Credit each code gives, e.g. 5 or 2.50.") var amount: String
        @Option(help: "How many codes (1 to 10000).") var count: Int
        @Option(help: "Days until the codes stop working.") var expiresInDays: Int?

        func run() async throws {
            try await operatorTask(options) { runtime in
                guard let credit = try? Money(parsing: amount), credit.micros > 0 else {
                    throw CommandFailure("--amount must be a positive decimal, e.g. 5 or 2.50")
                }
                guard (1...10_000).contains(count) else { throw CommandFailure("--count must be 1 to 10000") }
                if let days = expiresInDays, !(1...3650).contains(days) {
                    throw CommandFailure("--expires-in-days must be 1 to 3650")
                }
                let expiresAt = expiresInDays.map { runtime.store.clock.nowMillis() + Int64($0) * 86_400_000 }
                let (batch, codes) = try await runtime.store.createRedemptionCodes(
                    count: count, credit: credit, expiresAt: expiresAt, createdBy: nil)
                try await runtime.store.audit(
                    actorID: nil, action: "cli.code_create", target: batch, detail: "count=\(count) credit=\(credit)")
                print(codes.joined(separator: "\n"))
            }
        }
    }
}
