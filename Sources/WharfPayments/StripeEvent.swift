import WharfCore

/// A verified Stripe webhook event, reduced to what Wharf acts on.
public enum StripeEvent: Sendable, Equatable {
    /// A `checkout.session.*` event: the type suffix and the session (id, order number from `client_reference_id` or
    /// `metadata.wharf_order_id`, `amount_total`, upper-case currency, `payment_status`, `payment_intent`, `mode`).
    /// The event's `livemode` is returned by ``parse(_:)``.
    case session(kind: SessionEventKind, session: StripeSession)
    /// `charge.refunded`: payment intent, `metadata.wharf_order_id`, captured amount, cumulative `amount_refunded`,
    /// currency, and the latest refund id (`refunds.data[0].id`) else the charge id.
    case chargeRefunded(StripeCharge)
    /// `charge.dispute.created` or `charge.dispute.closed`: dispute id, payment intent, amount, currency, status.
    case dispute(kind: DisputeEventKind, StripeDispute)
    /// Any other event type (acknowledge it, act on nothing).
    case ignored(type: String)

    /// Which `checkout.session.*` event.
    public enum SessionEventKind: String, Sendable {
        /// `checkout.session.completed`.
        case completed
        /// `checkout.session.async_payment_succeeded`.
        case asyncPaymentSucceeded
        /// `checkout.session.async_payment_failed`.
        case asyncPaymentFailed
        /// `checkout.session.expired`.
        case expired
    }

    /// Which `charge.dispute.*` event.
    public enum DisputeEventKind: String, Sendable {
        /// `charge.dispute.created`.
        case created
        /// `charge.dispute.closed`.
        case closed
    }

    static let sessionKinds: [String: SessionEventKind] = [
        "checkout.session.completed": .completed,
        "checkout.session.async_payment_succeeded": .asyncPaymentSucceeded,
        "checkout.session.async_payment_failed": .asyncPaymentFailed,
        "checkout.session.expired": .expired,
    ]
    static let disputeKinds: [String: DisputeEventKind] = [
        "charge.dispute.created": .created, "charge.dispute.closed": .closed,
    ]

    /// Parses a payload already verified by ``StripeWebhook/verify(payload:header:secret:now:tolerance:)``. Amounts
    /// must be JSON integers (read from the token text, never through a `Double`): anything else, a missing event
    /// `id` or `type`, a missing `data.object` for a handled type, or invalid JSON ->
    /// ``PaymentRejection/malformed(_:)``.
    /// `livemode` is false when absent.
    public static func parse(_ payload: [UInt8]) throws(PaymentRejection) -> (
        id: String, livemode: Bool, event: StripeEvent
    ) {
        let root = try JSONValue.parseReplyObject(payload)
        guard let id = root["id"]?.nonEmptyString else { throw .malformed("event id missing") }
        guard let type = root["type"]?.nonEmptyString else { throw .malformed("event type missing") }
        let livemode: Bool
        switch root["livemode"] {
        case nil, .null?: livemode = false
        case .bool(let value)?: livemode = value
        default: throw .malformed("livemode is not a boolean")
        }
        let sessionKind = sessionKinds[type]
        let disputeKind = disputeKinds[type]
        guard sessionKind != nil || disputeKind != nil || type == "charge.refunded" else {
            return (id, livemode, .ignored(type: type))
        }
        guard let object = root["data"]?["object"], object.isObject else { throw .malformed("event object missing") }
        if let sessionKind {
            return (id, livemode, .session(kind: sessionKind, session: try StripeSession(json: object)))
        }
        if let disputeKind {
            return (id, livemode, .dispute(kind: disputeKind, try StripeDispute(json: object)))
        }
        return (id, livemode, .chargeRefunded(try StripeCharge(json: object)))
    }
}
