extension JSONValue {
    /// The value as compact JSON text (no spaces), members in their order, numbers as their token text, strings
    /// escaped as ``JSONText/quoted(_:)`` escapes them.
    public var encoded: [UInt8] {
        var out: [UInt8] = []
        write(into: &out)
        return out
    }

    /// The value as compact JSON text.
    public var encodedString: String { String(decoding: encoded, as: UTF8.self) }

    /// Appends the value as compact JSON text to `out`.
    public func write(into out: inout [UInt8]) {
        switch self {
        case .null: out.append(contentsOf: "null".utf8)
        case .bool(let b): out.append(contentsOf: (b ? "true" : "false").utf8)
        case .number(let n): out.append(contentsOf: n.utf8)
        case .string(let s): JSONText.appendQuoted(s, to: &out)
        case .array(let elements):
            out.append(UInt8(ascii: "["))
            for index in elements.indices {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                elements[index].write(into: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let members):
            out.append(UInt8(ascii: "{"))
            for index in members.indices {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                JSONText.appendQuoted(members[index].key, to: &out)
                out.append(UInt8(ascii: ":"))
                members[index].value.write(into: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    /// An integer as a number token.
    public static func int(_ value: Int64) -> JSONValue { .number(String(value)) }

    /// An integer as a number token.
    public static func int(_ value: Int) -> JSONValue { .number(String(value)) }

    /// The array elements, or nil.
    public var array: [JSONValue]? {
        if case .array(let elements) = self { return elements }
        return nil
    }

    /// The boolean, or nil.
    public var bool: Bool? {
        if case .bool(let b) = self { return b }
        return nil
    }

    /// Whether the value is `null`.
    public var isNull: Bool {
        if case .null = self { return true }
        return false
    }

    /// An object's value with member `key` set (replaced in place, or appended); other values are returned as they
    /// are.
    public func setting(_ key: String, _ value: JSONValue) -> JSONValue {
        guard case .object(var members) = self else { return self }
        if let i = members.firstIndex(where: { $0.key == key }) {
            members[i].value = value
        } else {
            members.append((key, value))
        }
        return .object(members)
    }

    /// An object's value without member `key`; other values are returned as they are.
    public func removing(_ key: String) -> JSONValue {
        guard case .object(let members) = self else { return self }
        return .object(members.filter { $0.key != key })
    }
}
