import WharfCore

/// Reading Stripe's JSON conventions.
enum StripeJSON {
    /// A required amount: a JSON integer ≥ 0 (never a float); anything else is malformed.
    static func amount(_ value: JSONValue?) throws(PaymentRejection) -> Int64 {
        guard let value, let amount = value.integer, amount >= 0 else { throw .malformed("amount is not an integer") }
        return amount
    }

    /// An optional amount: absent or null -> nil, else as ``amount(_:)``.
    static func optionalAmount(_ value: JSONValue?) throws(PaymentRejection) -> Int64? {
        guard let value, value != .null else { return nil }
        return try amount(value)
    }

    /// An expandable reference: the id string, or the `id` of an expanded object.
    static func reference(_ value: JSONValue?) -> String? {
        guard let value else { return nil }
        if let id = value.nonEmptyString { return id }
        return value["id"]?.nonEmptyString
    }

    /// Throws ``PaymentRejection/unsupported(_:)`` for an API error body (`{"error": {…}}`).
    static func rejectError(_ reply: JSONValue) throws(PaymentRejection) {
        if let error = reply["error"], error != .null { throw .unsupported("gateway refused") }
    }
}
