/// Reading helpers shared by the decoders: typed access to a parsed body that fails with a ``TranslationError``
/// naming the field, and small builders for the encoders' output.
enum TranslationJSON {
    /// Ordered object members, as the encoders build them.
    typealias Members = [(key: String, value: JSONValue)]

    /// Parses a client body, which must be one JSON object without repeated member names.
    static func body(_ bytes: [UInt8], what: String = "The request body") throws(TranslationError) -> JSONValue {
        do {
            return try JSONValue.parseObject(bytes)
        } catch .repeatedMember {
            throw TranslationError("\(what) repeats a member name within one object.")
        } catch .tooDeep {
            throw TranslationError("\(what) is nested too deeply.")
        } catch {
            throw TranslationError("\(what) is not a JSON object.")
        }
    }

    /// The value of `key`, treating JSON `null` as absent.
    static func present(_ object: JSONValue, _ key: String) -> JSONValue? {
        guard let value = object[key], !value.isNull else { return nil }
        return value
    }

    /// An optional string member.
    static func string(_ object: JSONValue, _ key: String, at path: String) throws(TranslationError) -> String? {
        guard let value = present(object, key) else { return nil }
        guard let s = value.string else { throw TranslationError("'\(key)' must be a string.", param: path) }
        return s
    }

    /// A required string member.
    static func requiredString(_ object: JSONValue, _ key: String, at path: String) throws(TranslationError)
        -> String
    {
        guard let s = try string(object, key, at: path) else {
            throw TranslationError("'\(key)' is required.", param: path)
        }
        return s
    }

    /// An optional boolean member.
    static func bool(_ object: JSONValue, _ key: String, at path: String) throws(TranslationError) -> Bool? {
        guard let value = present(object, key) else { return nil }
        guard let b = value.bool else { throw TranslationError("'\(key)' must be a boolean.", param: path) }
        return b
    }

    /// An optional whole-number member of at least `minimum`.
    static func integer(_ object: JSONValue, _ key: String, at path: String, minimum: Int64 = 1)
        throws(TranslationError) -> Int64?
    {
        guard let value = present(object, key) else { return nil }
        guard let n = value.integer else { throw TranslationError("'\(key)' must be an integer.", param: path) }
        guard n >= minimum else { throw TranslationError("'\(key)' must be at least \(minimum).", param: path) }
        return n
    }

    /// An optional number member, kept as its token text.
    static func number(_ object: JSONValue, _ key: String, at path: String) throws(TranslationError) -> JSONNumber? {
        guard let value = present(object, key) else { return nil }
        guard case .number(let text) = value else {
            throw TranslationError("'\(key)' must be a number.", param: path)
        }
        return JSONNumber(text)
    }

    /// An optional array member.
    static func array(_ object: JSONValue, _ key: String, at path: String) throws(TranslationError) -> [JSONValue]? {
        guard let value = present(object, key) else { return nil }
        guard let elements = value.array else { throw TranslationError("'\(key)' must be an array.", param: path) }
        return elements
    }

    /// An optional object member.
    static func object(_ object: JSONValue, _ key: String, at path: String) throws(TranslationError) -> JSONValue? {
        guard let value = present(object, key) else { return nil }
        guard value.isObject else { throw TranslationError("'\(key)' must be an object.", param: path) }
        return value
    }

    /// `stop` / `stop_sequences`: a string or an array of strings.
    static func stopSequences(_ object: JSONValue, _ key: String) throws(TranslationError) -> [String] {
        guard let value = present(object, key) else { return [] }
        if let s = value.string { return [s] }
        guard let elements = value.array else {
            throw TranslationError("'\(key)' must be a string or an array of strings.", param: key)
        }
        var out: [String] = []
        for (i, element) in elements.enumerated() {
            guard let s = element.string else {
                throw TranslationError("Each stop sequence must be a string.", param: "\(key)[\(i)]")
            }
            out.append(s)
        }
        return out
    }

    /// A `cache_control` marker (`{"type":"ephemeral","ttl":"1h"}`), when present.
    static func cacheControl(_ object: JSONValue, at path: String) throws(TranslationError) -> IRCacheControl? {
        guard let value = present(object, "cache_control") else { return nil }
        guard value.isObject else { throw TranslationError("'cache_control' must be an object.", param: path) }
        return IRCacheControl(ttl: try string(value, "ttl", at: path + ".ttl"))
    }

    /// The `cache_control` object Anthropic takes for `cache`.
    static func cacheControlValue(_ cache: IRCacheControl) -> JSONValue {
        var members: Members = [("type", .string("ephemeral"))]
        if let ttl = cache.ttl { members.append(("ttl", .string(ttl))) }
        return .object(members)
    }

    /// Reads `data:<media type>;base64,<data>`; nil when `url` is not a data URL.
    static func dataURL(_ url: String, at path: String) throws(TranslationError) -> IRMedia? {
        guard url.hasPrefix("data:") else { return nil }
        let rest = url.dropFirst(5)
        guard let comma = rest.firstIndex(of: ","), rest[..<comma].hasSuffix(";base64") else {
            throw TranslationError("A data URL must be base64-encoded (data:<type>;base64,<data>).", param: path)
        }
        let mediaType = String(rest[..<comma].dropLast(7))
        let data = String(rest[rest.index(after: comma)...])
        guard !mediaType.isEmpty, !data.isEmpty else {
            throw TranslationError("A data URL needs a media type and data.", param: path)
        }
        return .base64(mediaType: mediaType, data: data)
    }

    /// The media of an image or file URL: a data URL's bytes or an http(s) URL.
    static func media(url: String, at path: String) throws(TranslationError) -> IRMedia {
        if let media = try dataURL(url, at: path) { return media }
        guard url.hasPrefix("https://") || url.hasPrefix("http://") else {
            throw TranslationError("An image URL must be an http(s) URL or a base64 data URL.", param: path)
        }
        return .url(url)
    }

    /// The text of a part list's text parts, joined by `separator`.
    static func joinedText(_ parts: [IRPart], separator: String) -> String {
        parts.compactMap { part -> String? in
            if case .text(let s, _) = part { return s }
            return nil
        }.joined(separator: separator)
    }

    /// `argumentsJSON` as an object value: the parsed text when it is a JSON object, else `{}`.
    static func argumentsObject(_ argumentsJSON: String) -> JSONValue {
        guard let value = try? JSONValue.parse(Array(argumentsJSON.utf8)), value.isObject else {
            return .object([])
        }
        return value
    }

    /// A client-given type name fit for a message or a warning code: itself when it is 1–40 characters of
    /// `[a-z0-9_]`, else `other` (so no client text of any other shape reaches a log).
    static func code(_ name: String) -> String {
        let ok =
            (1...40).contains(name.utf8.count)
            && name.utf8.allSatisfy { byte in
                (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
                    || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || byte == UInt8(ascii: "_")
            }
        return ok ? name : "other"
    }

    /// Whether `text` holds something other than whitespace.
    static func hasVisibleText(_ text: String) -> Bool {
        text.unicodeScalars.contains { !$0.properties.isWhitespace }
    }
}
