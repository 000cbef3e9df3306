import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import Synchronization
import WharfPayments

/// One local stand-in for the four payment gateways, speaking their create, query and refund calls (Epay v1 under
/// `/epay`, HupiJiao under `/hupi`, Stripe's API under `/stripe`, epusdt under `/epusdt`). Scenarios mark orders
/// paid here to answer queries, and read what Wharf sent.
final class FakeGateways: Sendable {
    struct State {
        /// Our order numbers the fake says are paid, with the amount text it reports.
        var paid: [String: String] = [:]
        /// Stripe sessions created: id → (order, amount, currency).
        var sessions: [String: (order: String, amount: Int64, currency: String)] = [:]
        /// Every call: method, path, query, body, headers of interest.
        var calls: [(method: String, path: String, query: String, body: String, idempotencyKey: String?)] = []
        var counter = 0
    }

    let state = Mutex(State())

    func markPaid(_ order: String, money: String) { state.withLock { $0.paid[order] = money } }
    var calls: [(method: String, path: String, query: String, body: String, idempotencyKey: String?)] {
        state.withLock { $0.calls }
    }

    static func json(_ object: Any) -> Response {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    func router(port: @escaping @Sendable () -> Int) -> Router<BasicRequestContext> {
        let router = Router()
        let record: @Sendable (Request, String) -> Void = { request, body in
            self.state.withLock {
                $0.calls.append(
                    (
                        request.method.rawValue, request.uri.path, request.uri.query ?? "", body,
                        request.headers[HTTPField.Name("Idempotency-Key")!]
                    ))
            }
        }
        @Sendable func read(_ request: Request) async throws -> String {
            var request = request
            return String(buffer: try await request.collectBody(upTo: 1 << 20))
        }
        router.post("epay/submit.php") { request, _ -> String in
            record(request, try await read(request))
            return "<html><body>fake cashier</body></html>"
        }
        router.get("epay/api.php") { request, _ -> Response in
            record(request, "")
            let q = (try? FormParameters.parse(request.uri.query ?? "")) ?? [:]
            let order = q["out_trade_no"] ?? ""
            guard q["act"] == "order", q["key"] == PaymentHarness.epayKey else { return Self.json(["code": -1]) }
            let paid = self.state.withLock { $0.paid[order] }
            return Self.json([
                "code": "1", "msg": "ok", "trade_no": "T-\(order)", "out_trade_no": order, "type": "alipay",
                "pid": "1001", "money": paid ?? "10.00", "status": paid == nil ? 0 : 1,
            ])
        }
        router.post("epay/api.php") { request, _ -> Response in
            record(request, try await read(request))
            return Self.json(["code": 1, "msg": "refunded"])
        }
        router.post("hupi/payment/do.html") { request, _ -> Response in
            let body = try await read(request)
            record(request, body)
            let form = (try? FormParameters.parse(body)) ?? [:]
            let fields = [
                "errcode": "0", "errmsg": "ok", "openid": "H-\(form["trade_order_id"] ?? "")",
                "url": "http://127.0.0.1:\(port())/hupi/pay/\(form["trade_order_id"] ?? "")",
            ]
            var reply: [String: Any] = fields
            reply["errcode"] = 0
            reply["hash"] = MD5Signing.sign(fields, secret: PaymentHarness.hupiSecret, excluding: ["hash"])
            return Self.json(reply)
        }
        router.post("hupi/payment/query.html") { request, _ -> Response in
            let body = try await read(request)
            record(request, body)
            let form = (try? FormParameters.parse(body)) ?? [:]
            let order = form["out_trade_order"] ?? ""
            let paid = self.state.withLock { $0.paid[order] }
            return Self.json([
                "errcode": 0, "errmsg": "ok",
                "data": ["status": paid == nil ? "WP" : "OD", "open_order_id": "H-\(order)", "total_fee": paid ?? ""],
            ])
        }
        router.post("hupi/payment/refund.html") { request, _ -> Response in
            record(request, try await read(request))
            return Self.json(["errcode": 0, "errmsg": "ok", "refund_status": "CD"])
        }
        router.post("stripe/v1/checkout/sessions") { request, _ -> Response in
            let body = try await read(request)
            record(request, body)
            let form = (try? FormParameters.parse(body)) ?? [:]
            let order = form["client_reference_id"] ?? ""
            let amount = Int64(form["line_items[0][price_data][unit_amount]"] ?? "") ?? 0
            let currency = form["line_items[0][price_data][currency]"] ?? ""
            let id = self.state.withLock { s -> String in
                s.counter += 1
                let id = "cs_test_\(s.counter)"
                s.sessions[id] = (order, amount, currency)
                return id
            }
            return Self.json([
                "id": id, "object": "checkout.session", "url": "http://127.0.0.1:\(port())/stripe/pay/\(id)",
                "client_reference_id": order, "amount_total": amount, "currency": currency,
                "payment_status": "unpaid", "mode": "payment",
            ])
        }
        router.get("stripe/v1/checkout/sessions/{id}") { request, context -> Response in
            record(request, "")
            let id = context.parameters.get("id") ?? ""
            guard let session = self.state.withLock({ $0.sessions[id] }) else { return Self.json(["error": [:]]) }
            let paid = self.state.withLock { $0.paid[session.order] } != nil
            return Self.json([
                "id": id, "object": "checkout.session", "client_reference_id": session.order,
                "amount_total": session.amount, "currency": session.currency, "mode": "payment",
                "payment_status": paid ? "paid" : "unpaid", "payment_intent": "pi_\(id)",
            ])
        }
        router.post("stripe/v1/refunds") { request, _ -> Response in
            record(request, try await read(request))
            let n = self.state.withLock { s -> Int in
                s.counter += 1
                return s.counter
            }
            return Self.json(["id": "re_\(n)", "object": "refund", "status": "succeeded"])
        }
        router.post("epusdt/api/v1/order/create-transaction") { request, _ -> Response in
            let body = try await read(request)
            record(request, body)
            let object = (try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: Any] ?? [:]
            let order = object["order_id"] as? String ?? ""
            return Self.json([
                "status_code": 200, "message": "success",
                "data": [
                    "trade_id": "E-\(order)", "order_id": order, "amount": object["amount"] ?? 0,
                    "actual_amount": "1.3889", "token": "TNEns8t9jbWENbStkQdVQtHMGpbsYsQjZK",
                    "payment_url": "http://127.0.0.1:\(port())/epusdt/pay/E-\(order)",
                ],
            ])
        }
        return router
    }
}
