import Foundation
import SQLKit
import WharfCore

/// A payment gateway instance as the operator configured it (its secrets stay sealed; see
/// ``WharfStore/paymentGatewaySecrets(id:)``).
public struct PaymentGatewayRecord: Sendable, Equatable {
    public var id: String
    public var name: String
    /// `epay`, `hupijiao`, `stripe` or `epusdt`.
    public var kind: String
    public var gatewayURL: String
    public var merchantID: String?
    /// ISO 4217 code, uppercase.
    public var currency: String
    /// Credit bought by one whole unit of ``currency``.
    public var creditPerUnit: Money
    /// Methods offered to users (`alipay`, `wxpay`, `card`, `usdt`…); never empty.
    public var methods: [String]
    /// Limits in minor units of ``currency``.
    public var minAmount: Int64?
    public var maxAmount: Int64?
    public var enabled: Bool
    public var createdAt: Int64

    /// Creates a record.
    public init(
        id: String, name: String, kind: String, gatewayURL: String, merchantID: String?, currency: String,
        creditPerUnit: Money, methods: [String], minAmount: Int64?, maxAmount: Int64?, enabled: Bool = true,
        createdAt: Int64 = 0
    ) {
        self.id = id
        self.name = name
        self.kind = kind
        self.gatewayURL = gatewayURL
        self.merchantID = merchantID
        self.currency = currency
        self.creditPerUnit = creditPerUnit
        self.methods = methods
        self.minAmount = minAmount
        self.maxAmount = maxAmount
        self.enabled = enabled
        self.createdAt = createdAt
    }
}

/// A gateway's secrets, opened: the merchant key (Epay, HupiJiao), API secret key (Stripe) or API token (epusdt),
/// and Stripe's webhook signing secret.
public struct PaymentGatewaySecrets: Sendable {
    public var key: String
    public var webhookSecret: String?

    /// Creates secrets.
    public init(key: String, webhookSecret: String?) {
        self.key = key
        self.webhookSecret = webhookSecret
    }
}

extension WharfStore {
    static func gatewaySecretContext(_ id: String, _ field: String) -> String { "payment_gateways/\(id)/\(field)" }

    /// Adds a gateway instance; its secrets are sealed with the master key, bound to the instance and the field.
    /// An empty key (or an empty webhook secret where one is given) is refused: an HMAC or MD5 over an empty secret
    /// can be forged by anyone.
    public func addPaymentGateway(_ gateway: PaymentGatewayRecord, secrets given: PaymentGatewaySecrets) async throws {
        guard !given.key.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw StoreError.invalid("the gateway key must not be empty")
        }
        if let webhook = given.webhookSecret, webhook.trimmingCharacters(in: .whitespaces).isEmpty {
            throw StoreError.invalid("the webhook secret must not be empty")
        }
        let key = try secrets.seal(given.key, context: Self.gatewaySecretContext(gateway.id, "key"))
        let webhook = try given.webhookSecret.map {
            try secrets.seal($0, context: Self.gatewaySecretContext(gateway.id, "webhook_secret"))
        }
        let at = now
        try await database.transaction { db in
            guard
                try await db.raw("SELECT id FROM payment_gateways WHERE name = \(bind: gateway.name)").first() == nil
            else { throw StoreError.duplicate("a payment gateway named '\(gateway.name)'") }
            try await db.raw(
                """
                INSERT INTO payment_gateways (id, name, kind, gateway_url, merchant_id, key_ciphertext,
                    webhook_secret_ciphertext, currency, credit_per_unit, methods, min_amount, max_amount, enabled,
                    created_at, updated_at)
                VALUES (\(bind: gateway.id), \(bind: gateway.name), \(bind: gateway.kind), \(bind: gateway.gatewayURL),
                    \(bind: gateway.merchantID), \(bind: key), \(bind: webhook), \(bind: gateway.currency),
                    \(bind: gateway.creditPerUnit.micros), \(bind: JSONColumn.encode(gateway.methods)),
                    \(bind: gateway.minAmount), \(bind: gateway.maxAmount), \(bind: gateway.enabled ? 1 : 0),
                    \(bind: at), \(bind: at))
                """
            ).run()
        }
    }

    /// Every gateway instance, by name.
    public func paymentGateways() async throws -> [PaymentGatewayRecord] {
        try await database.withConnection { db in
            try await db.raw("SELECT * FROM payment_gateways ORDER BY name").all().map(Self.decodeGateway)
        }
    }

    /// One gateway instance by id, or nil.
    public func paymentGateway(id: String) async throws -> PaymentGatewayRecord? {
        try await database.withConnection { db in
            try await db.raw("SELECT * FROM payment_gateways WHERE id = \(bind: id)").first().map(Self.decodeGateway)
        }
    }

    /// One gateway instance by name, or nil.
    public func paymentGateway(named name: String) async throws -> PaymentGatewayRecord? {
        try await database.withConnection { db in
            try await db.raw("SELECT * FROM payment_gateways WHERE name = \(bind: name)").first().map(
                Self.decodeGateway)
        }
    }

    /// The opened secrets of a gateway instance.
    public func paymentGatewaySecrets(id: String) async throws -> PaymentGatewaySecrets {
        let row = try await database.withConnection { db in
            try await db.raw(
                "SELECT key_ciphertext, webhook_secret_ciphertext FROM payment_gateways WHERE id = \(bind: id)"
            ).first()
        }
        guard let row else { throw StoreError.notFound("payment gateway") }
        return PaymentGatewaySecrets(
            key: try secrets.open(try row.string("key_ciphertext"), context: Self.gatewaySecretContext(id, "key")),
            webhookSecret: try row.optionalString("webhook_secret_ciphertext").map {
                try secrets.open($0, context: Self.gatewaySecretContext(id, "webhook_secret"))
            })
    }

    /// Enables or disables a gateway instance by name. Disabled, it offers no new top-ups; callbacks for orders
    /// already made through it are still accepted (the money was taken).
    public func setPaymentGatewayEnabled(name: String, enabled: Bool) async throws {
        let at = now
        try await database.withConnection { db in
            let row = try await db.raw(
                """
                UPDATE payment_gateways SET enabled = \(bind: enabled ? 1 : 0), updated_at = \(bind: at)
                WHERE name = \(bind: name) RETURNING id
                """
            ).first()
            guard row != nil else { throw StoreError.notFound("payment gateway '\(name)'") }
        }
    }

    static func decodeGateway(_ row: any SQLRow) throws -> PaymentGatewayRecord {
        PaymentGatewayRecord(
            id: try row.string("id"), name: try row.string("name"), kind: try row.string("kind"),
            gatewayURL: try row.string("gateway_url"), merchantID: try row.optionalString("merchant_id"),
            currency: try row.string("currency"), creditPerUnit: Money(micros: try row.int64("credit_per_unit")),
            methods: JSONColumn.decode([String].self, try row.string("methods")) ?? [],
            minAmount: try row.optionalInt64("min_amount"),
            maxAmount: try row.optionalInt64("max_amount"), enabled: try row.int64("enabled") != 0,
            createdAt: try row.int64("created_at"))
    }
}
