import Testing
import WharfPayments

@Suite("Stripe events")
struct StripeEventTests {
    static func event(_ type: String, _ object: String, livemode: String = "false") -> [UInt8] {
        Array(
            #"{"id":"evt_1","object":"event","livemode":\#(livemode),"type":"\#(type)","data":{"object":\#(object)}}"#
                .utf8)
    }

    static let session = #"""
        {"id":"cs_test_1","object":"checkout.session","mode":"payment","client_reference_id":"ord_01",
         "metadata":{"wharf_order_id":"ord_01"},"amount_total":1000,"currency":"usd","payment_status":"paid",
         "payment_intent":"pi_1","livemode":false}
        """#

    static let expectedSession = StripeSession(
        id: "cs_test_1", orderNo: "ord_01", amountTotal: 1000, currency: "USD", paymentStatus: "paid",
        paymentIntent: "pi_1", mode: "payment")

    @Test("The research payload parses as a completed session")
    func researchPayload() throws {
        let payload = Array(
            (#"{"id":"evt_test_1","object":"event","type":"checkout.session.completed","#
                + #""data":{"object":{"id":"cs_test_1","object":"checkout.session","client_reference_id":"ord_01","#
                + #""amount_total":1000,"currency":"usd","#
                + #""payment_status":"paid"}}}"#).utf8)
        let parsed = try StripeEvent.parse(payload)
        #expect(parsed.id == "evt_test_1")
        #expect(parsed.livemode == false)
        #expect(
            parsed.event
                == .session(
                    kind: .completed,
                    session: StripeSession(
                        id: "cs_test_1", orderNo: "ord_01", amountTotal: 1000, currency: "USD", paymentStatus: "paid")))
    }

    @Test(
        "Each checkout.session event maps to its kind",
        arguments: [
            ("checkout.session.completed", StripeEvent.SessionEventKind.completed),
            ("checkout.session.async_payment_succeeded", .asyncPaymentSucceeded),
            ("checkout.session.async_payment_failed", .asyncPaymentFailed),
            ("checkout.session.expired", .expired),
        ])
    func sessionKinds(type: String, kind: StripeEvent.SessionEventKind) throws {
        let parsed = try StripeEvent.parse(Self.event(type, Self.session, livemode: "true"))
        #expect(parsed.livemode)
        #expect(parsed.event == .session(kind: kind, session: Self.expectedSession))
    }

    @Test("An unpaid completed session (delayed method) keeps payment_status unpaid")
    func unpaidCompleted() throws {
        let object =
            #"{"id":"cs_2","amount_total":500,"currency":"jpy","payment_status":"unpaid","payment_intent":null}"#
        let parsed = try StripeEvent.parse(Self.event("checkout.session.completed", object))
        #expect(
            parsed.event
                == .session(
                    kind: .completed,
                    session: StripeSession(id: "cs_2", amountTotal: 500, currency: "JPY", paymentStatus: "unpaid")))
    }

    @Test("charge.refunded gives the cumulative refund and the latest refund id")
    func chargeRefunded() throws {
        let object = #"""
            {"id":"ch_1","object":"charge","amount":1000,"amount_captured":1000,"amount_refunded":300,"currency":"usd",
             "payment_intent":"pi_1","metadata":{"wharf_order_id":"ord_01"},
             "refunds":{"object":"list","data":[{"id":"re_2","amount":200},{"id":"re_1","amount":100}]}}
            """#
        let parsed = try StripeEvent.parse(Self.event("charge.refunded", object))
        #expect(
            parsed.event
                == .chargeRefunded(
                    StripeCharge(
                        id: "ch_1", paymentIntent: "pi_1", orderNo: "ord_01", amount: 1000, amountRefunded: 300,
                        currency: "USD", refundID: "re_2")))
    }

    @Test("charge.refunded without the refund list falls back to the charge id")
    func chargeRefundedWithoutList() throws {
        let object = #"{"id":"ch_1","amount":1000,"amount_refunded":1000,"currency":"eur","payment_intent":"pi_1"}"#
        let parsed = try StripeEvent.parse(Self.event("charge.refunded", object))
        #expect(
            parsed.event
                == .chargeRefunded(
                    StripeCharge(
                        id: "ch_1", paymentIntent: "pi_1", amount: 1000, amountRefunded: 1000, currency: "EUR",
                        refundID: "ch_1")))
    }

    @Test(
        "Dispute created and closed events carry the dispute",
        arguments: [
            ("charge.dispute.created", StripeEvent.DisputeEventKind.created, "needs_response"),
            ("charge.dispute.closed", .closed, "won"),
        ])
    func disputes(type: String, kind: StripeEvent.DisputeEventKind, status: String) throws {
        let object =
            #"{"id":"du_1","object":"dispute","amount":1000,"currency":"usd","payment_intent":"pi_1","#
            + #""status":"\#(status)"}"#
        let parsed = try StripeEvent.parse(Self.event(type, object))
        #expect(
            parsed.event
                == .dispute(
                    kind: kind,
                    StripeDispute(id: "du_1", paymentIntent: "pi_1", amount: 1000, currency: "USD", status: status)))
    }

    @Test(
        "Other event types are ignored without reading their object",
        arguments: [
            "payment_intent.succeeded", "charge.dispute.updated", "checkout.session.something_new",
            "radar.early_fraud_warning.created",
        ])
    func ignored(type: String) throws {
        let parsed = try StripeEvent.parse(Self.event(type, #"{"id":"x","amount":1.5}"#))
        #expect(parsed.event == .ignored(type: type))
    }

    @Test(
        "Amounts that are not JSON integers are malformed, never rounded",
        arguments: [
            "1000.0", "1e3", "\"1000\"", "-5", "99999999999999999999",
        ])
    func nonIntegerAmounts(amount: String) {
        let object = #"{"id":"ch_1","amount":\#(amount),"amount_refunded":0,"currency":"usd"}"#
        #expect(throws: PaymentRejection.self) { try StripeEvent.parse(Self.event("charge.refunded", object)) }
        let session = #"{"id":"cs_1","amount_total":\#(amount)}"#
        #expect(throws: PaymentRejection.self) {
            try StripeEvent.parse(Self.event("checkout.session.completed", session))
        }
    }

    @Test(
        "A payload without id, type or object, or with invalid JSON, is malformed",
        arguments: [
            #"{"type":"charge.refunded","data":{"object":{}}}"#,
            #"{"id":"evt_1","data":{"object":{}}}"#,
            #"{"id":"evt_1","type":"charge.refunded"}"#,
            #"{"id":"evt_1","type":"charge.refunded","data":{"object":{"id":"ch_1"}}}"#,
            #"{"id":"evt_1","type":"x","livemode":"yes"}"#,
            #"{"id":"evt_1","id":"evt_2","type":"x"}"#,
            #"{"id":"evt_1","type":"x"} trailing"#,
            "[]",
        ])
    func malformed(payload: String) {
        #expect(throws: PaymentRejection.self) { try StripeEvent.parse(Array(payload.utf8)) }
    }
}
