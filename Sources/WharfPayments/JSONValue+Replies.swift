import WharfCore

extension JSONValue {
    /// Parses a gateway's reply, which must hold exactly one JSON value; failures are malformed replies.
    static func parseReply(_ bytes: [UInt8]) throws(PaymentRejection) -> JSONValue {
        do {
            return try parse(bytes)
        } catch {
            throw Self.rejection(error)
        }
    }

    /// Parses a gateway's reply and requires an object at the top.
    static func parseReplyObject(_ bytes: [UInt8]) throws(PaymentRejection) -> JSONValue {
        let value = try parseReply(bytes)
        guard case .object = value else { throw .malformed("reply is not a JSON object") }
        return value
    }

    private static func rejection(_ error: JSONValueError) -> PaymentRejection {
        switch error {
        case .invalid: .malformed("reply is not valid JSON")
        case .repeatedMember: .malformed("JSON member repeated")
        case .tooDeep: .malformed("reply is nested too deeply")
        }
    }
}
