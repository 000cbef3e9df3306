import WharfCore
import WharfPayments
import WharfStorage

/// How the payer's browser goes on to pay.
enum PaymentStart: Sendable {
    /// A 303 to the gateway's pay page.
    case redirect(String)
    /// An auto-submitting form (Epay's page pay posts the signed order to `submit.php`).
    case form(action: String, fields: [(String, String)])
}

/// A callback as it arrived, before anything is trusted.
struct IncomingCallback: Sendable {
    var method: String
    /// The raw query string (without `?`), or "".
    var query: String
    var body: [UInt8]
    var stripeSignature: String?
}

/// What a verified callback says.
enum CallbackMessage: Sendable {
    /// The state of one order's payment.
    case notice(PaymentNotice)
    /// Stripe: a charge was refunded (cumulative amount).
    case chargeRefunded(StripeCharge)
    /// Stripe: a dispute opened or closed.
    case dispute(StripeEvent.DisputeEventKind, StripeDispute)
    /// A verified event Wharf has nothing to do with.
    case ignored(String)
}

/// One gateway instance with its secrets: turns Wharf's intents into the calls ``WharfPayments`` builds and the
/// gateway's messages into ``CallbackMessage``s. The only place that switches on the gateway kind.
struct GatewayDriver: Sendable {
    let gateway: PaymentGatewayRecord
    let secrets: PaymentGatewaySecrets
    let http: PaymentHTTPClient
    let clock: WharfClock

    var kind: GatewayKind? { GatewayKind(rawValue: gateway.kind) }
    var epay: EpayConfig {
        EpayConfig(baseURL: gateway.gatewayURL, merchantID: gateway.merchantID ?? "", key: secrets.key)
    }
    var hupijiao: HupiJiaoConfig {
        HupiJiaoConfig(baseURL: gateway.gatewayURL, appID: gateway.merchantID ?? "", secret: secrets.key)
    }
    var stripe: StripeConfig {
        StripeConfig(apiBase: gateway.gatewayURL, secretKey: secrets.key, webhookSecret: secrets.webhookSecret ?? "")
    }
    var epusdt: EpusdtConfig { EpusdtConfig(baseURL: gateway.gatewayURL, token: secrets.key) }

    var nowSeconds: Int64 { clock.nowMillis() / 1000 }

    static func nonce() -> String {
        var rng = SystemRandomNumberGenerator()
        return String((0..<16).map { _ in Character(Unicode.Scalar(UInt8(97 + rng.next(upperBound: UInt8(26))))) })
    }

    /// The reply a gateway expects once its callback was handled (written only after the commit).
    var successReply: String { kind == .epusdt ? "ok" : kind == .stripe ? "{\"received\":true}" : "success" }

    /// Starts paying `order`: returns where the browser goes, and the gateway's id for the attempt.
    func start(_ order: PaymentOrder, notifyURL: String, returnURL: String, productName: String) async throws
        -> (PaymentStart, providerRef: String?)
    {
        switch kind {
        case .epay:
            let form = try EpayProtocol.pagePayForm(
                epay, orderNo: order.id, method: order.method, amountMinor: order.amount, name: productName,
                notifyURL: notifyURL, returnURL: returnURL)
            return (.form(action: form.action, fields: form.fields), nil)
        case .hupijiao:
            let request = try HupiJiaoProtocol.createRequest(
                hupijiao, orderNo: order.id, amountMinor: order.amount, title: productName, notifyURL: notifyURL,
                returnURL: returnURL, now: nowSeconds, nonce: Self.nonce())
            let reply = try await http.send(request)
            return (.redirect(try payPage(try HupiJiaoProtocol.parseCreate(reply.body, config: hupijiao))), nil)
        case .stripe:
            let request = try StripeProtocol.createSessionRequest(
                stripe, orderNo: order.id, amountMinor: order.amount, currency: order.currency,
                productName: productName, successURL: returnURL, cancelURL: returnURL,
                // Stripe takes 30 minutes to 24 hours from now.
                expiresAt: min(max(order.expiresAt / 1000, nowSeconds + 1800 + 60), nowSeconds + 86_400 - 60))
            let reply = try await http.send(request)
            let session = try StripeProtocol.parseSession(reply.body)
            return (.redirect(try payPage(session.url)), session.id)
        case .epusdt:
            let request = try EpusdtProtocol.createRequest(
                epusdt, orderNo: order.id, amountMinor: order.amount, notifyURL: notifyURL, redirectURL: returnURL)
            let reply = try await http.send(request)
            let created = try EpusdtProtocol.parseCreate(reply.body)
            return (.redirect(try payPage(created.paymentURL)), created.tradeID)
        case nil:
            throw PaymentRejection.unsupported("unknown gateway kind")
        }
    }

    /// A pay page from a gateway's reply, if the browser may be sent there (see ``PaymentURLs/isAllowedPayPage``).
    func payPage(_ url: String) throws(PaymentRejection) -> String {
        guard PaymentURLs.isAllowedPayPage(url, gatewayURL: gateway.gatewayURL) else {
            throw .malformed("the gateway named a pay page the browser may not be sent to")
        }
        return url
    }

    /// Verifies a callback and says what it means. Epay's parameters may come in the query (GET) or a form (POST),
    /// never both.
    func verify(_ incoming: IncomingCallback) throws(PaymentRejection) -> CallbackMessage {
        switch kind {
        case .epay:
            return .notice(try EpayProtocol.verifyNotification(try formParameters(incoming), config: epay))
        case .hupijiao:
            return .notice(try HupiJiaoProtocol.verifyNotification(try formParameters(incoming), config: hupijiao))
        case .epusdt:
            guard incoming.method == "POST", incoming.query.isEmpty else { throw .malformed("expected a JSON POST") }
            return .notice(try EpusdtProtocol.verifyCallback(incoming.body, config: epusdt))
        case .stripe:
            guard incoming.method == "POST" else { throw .malformed("expected a POST") }
            guard let secret = secrets.webhookSecret else { throw .missingSecret }
            try StripeWebhook.verify(
                payload: incoming.body, header: incoming.stripeSignature ?? "", secret: secret, now: nowSeconds)
            let parsed = try StripeEvent.parse(incoming.body)
            if let expected = expectedLivemode, parsed.livemode != expected {
                throw .wrongMerchant
            }
            switch parsed.event {
            case .session(let kind, let session):
                return .notice(Self.notice(kind, session))
            case .chargeRefunded(let charge): return .chargeRefunded(charge)
            case .dispute(let kind, let dispute): return .dispute(kind, dispute)
            case .ignored(let type): return .ignored(type)
            }
        case nil:
            throw .unsupported("unknown gateway kind")
        }
    }

    /// Stripe keys say which mode they belong to; an event from the other mode is not for this instance.
    var expectedLivemode: Bool? {
        if secrets.key.hasPrefix("sk_live_") || secrets.key.hasPrefix("rk_live_") { return true }
        if secrets.key.hasPrefix("sk_test_") || secrets.key.hasPrefix("rk_test_") { return false }
        return nil
    }

    static func notice(_ kind: StripeEvent.SessionEventKind, _ session: StripeSession) -> PaymentNotice {
        let status: PaymentNotice.Status =
            switch kind {
            case .completed: session.paymentStatus == "paid" ? .paid : .pending
            case .asyncPaymentSucceeded: .paid
            case .asyncPaymentFailed: .failed
            case .expired: .closed
            }
        return PaymentNotice(
            orderNo: session.orderNo ?? "", tradeNo: session.id, amountText: nil, amountMinor: session.amountTotal,
            currency: session.currency, merchantID: nil, status: status,
            // The session's mode rides in `method`: only `payment` sessions pay orders.
            // Stripe's payment intent travels here (the service stores it as the order's intent, for refunds and
            // disputes), never as a transaction reference.
            transactionReference: session.paymentIntent, method: session.mode)
    }

    func formParameters(_ incoming: IncomingCallback) throws(PaymentRejection) -> [String: String] {
        let bodyText = String(decoding: incoming.body, as: UTF8.self)
        if !incoming.query.isEmpty && !incoming.body.isEmpty {
            throw .malformed("parameters both in the query and in the body")
        }
        return try FormParameters.parse(incoming.query.isEmpty ? bodyText : incoming.query)
    }

    /// Asks the gateway about an order (reconciliation, return page). Nil: the gateway cannot be asked, or does
    /// not know the order.
    func query(_ order: PaymentOrder) async throws -> PaymentNotice? {
        switch kind {
        case .epay:
            let reply = try await http.send(try EpayProtocol.queryRequest(epay, orderNo: order.id))
            return try EpayProtocol.parseQuery(reply.body, config: epay)
        case .hupijiao:
            let reply = try await http.send(
                try HupiJiaoProtocol.queryRequest(hupijiao, orderNo: order.id, now: nowSeconds, nonce: Self.nonce()))
            return try HupiJiaoProtocol.parseQuery(reply.body, orderNo: order.id, config: hupijiao)
        case .stripe:
            guard let sessionID = order.providerRef else { return nil }
            let reply = try await http.send(try StripeProtocol.getSessionRequest(stripe, sessionID: sessionID))
            let session = try StripeProtocol.parseSessionObject(reply.body)
            return Self.notice(.completed, session)
        case .epusdt, nil:
            return nil
        }
    }

    /// Whether the gateway refunds through its API, and in part.
    var refundSupport: (api: Bool, partial: Bool) {
        switch kind {
        case .epay, .hupijiao: (true, false)
        case .stripe: (true, true)
        case .epusdt, nil: (false, false)
        }
    }

    /// Asks the gateway to refund `amount` of `order`; returns the gateway's refund reference.
    func refund(_ order: PaymentOrder, amount: Int64, reason: String, idempotencyKey: String) async throws -> String {
        switch kind {
        case .epay:
            let reply = try await http.send(
                try EpayProtocol.refundRequest(epay, orderNo: order.id, amountMinor: amount))
            guard try EpayProtocol.parseRefund(reply.body) else { throw PaymentRejection.unsupported("refund refused") }
            return "epay:\(order.id)"
        case .hupijiao:
            let reply = try await http.send(
                try HupiJiaoProtocol.refundRequest(
                    hupijiao, orderNo: order.id, reason: reason, now: nowSeconds, nonce: Self.nonce()))
            guard try HupiJiaoProtocol.parseRefund(reply.body) else {
                throw PaymentRejection.unsupported("refund refused")
            }
            return "hupijiao:\(order.id)"
        case .stripe:
            guard let intent = order.paymentIntent else {
                throw PaymentRejection.unsupported("the order has no payment intent")
            }
            let reply = try await http.send(
                try StripeProtocol.refundRequest(
                    stripe, paymentIntent: intent, amountMinor: amount, orderNo: order.id,
                    idempotencyKey: idempotencyKey))
            return try StripeProtocol.parseRefund(reply.body)
        case .epusdt, nil:
            throw PaymentRejection.unsupported("this gateway has no refund call")
        }
    }
}
