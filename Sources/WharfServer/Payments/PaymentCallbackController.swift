import HTTPTypes
import Hummingbird
import NIOCore
import WharfCore

/// Gateways' callbacks: `GET` and `POST /api/pay/{gateway}/notify`, one address per gateway instance. No session,
/// no CSRF token: the callback proves itself by its signature (checked in ``PaymentService``). The body is
/// bounded; the reply is the gateway's success text only once the order's change is committed.
struct PaymentCallbackController: Sendable {
    let payments: PaymentService
    let trustedProxies: [IPRange]
    /// Refused callbacks logged per source address: 60 a minute (a gateway refused that often is misconfigured, or
    /// it is not a gateway).
    let refusals = RateLimiter(defaultPerMinute: 60)

    /// Callbacks are small forms or JSON documents; anything larger is refused unread.
    static let maxBodyBytes = 64 * 1024
    static let stripeSignature = HTTPField.Name("Stripe-Signature")!  // startup: a constant, valid header name

    func addRoutes(to router: Router<WharfRequestContext>) {
        router.get("api/pay/{gateway}/notify") { request, context in try await handle(request, context) }
        router.post("api/pay/{gateway}/notify") { request, context in try await handle(request, context) }
    }

    func handle(_ request: Request, _ context: WharfRequestContext) async throws -> Response {
        let gatewayID = context.parameters.get("gateway") ?? ""
        var request = request
        let body: ByteBuffer
        do {
            body = try await request.collectBody(upTo: Self.maxBodyBytes)
        } catch {
            return Self.reply(.contentTooLarge, "fail")
        }
        let incoming = IncomingCallback(
            method: request.method == .get ? "GET" : "POST", query: request.uri.query ?? "",
            body: Array(buffer: body), stripeSignature: request.headers[Self.stripeSignature])
        let address = KeyAuthenticator.effectiveAddress(request, context, trustedProxies: trustedProxies)
        // Every callback is handled (a flood from one address must not block a real gateway sharing it, such as a
        // proxy); past the limit, refusals are no longer written to the payment log. A token is taken first and
        // given back when the callback was accepted, so concurrent floods cannot overshoot.
        let scope = "callback:" + ClientAddress.limitScope(address)
        let now = payments.clock.nowMillis()
        refusals.pruneIdle(now: now)
        let counted = refusals.admit(keyID: scope, perMinute: nil, now: now).allowed
        let reply = await payments.handleCallback(
            gatewayID: gatewayID, incoming: incoming, clientIP: address, quiet: !counted)
        if counted && reply.status != .badRequest && reply.status != .notFound {
            refusals.giveBack(keyID: scope, now: now)
        }
        return Self.reply(reply.status, reply.body)
    }

    static func reply(_ status: HTTPResponse.Status, _ text: String) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = text.hasPrefix("{") ? "application/json" : "text/plain; charset=utf-8"
        headers[.cacheControl] = "no-store"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: text)))
    }
}
