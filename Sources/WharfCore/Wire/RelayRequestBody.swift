/// The few fields of an OpenAI-style request body the gateway reads, found without decoding the body.
///
/// The body is forwarded byte for byte except for two edits the gateway must make: the public model name is
/// replaced by the channel's upstream name, and a streaming chat request asks upstream for usage
/// (`stream_options.include_usage`). Every other member, known or unknown, is preserved.
public struct RelayRequestBody: Sendable {
    /// The raw body.
    public let bytes: [UInt8]
    /// Where the `model` and `stream_options` members are, and the opening brace: what an edit needs.
    let modelRange: Range<Int>
    let streamOptionsRange: Range<Int>?
    let openBrace: Int
    /// The requested model.
    public let model: String
    /// Whether the client asked for a stream.
    public let stream: Bool
    /// Whether the client itself asked for the usage chunk of a stream.
    public let clientRequestedUsage: Bool
    /// `max_tokens`, `max_completion_tokens` or `max_output_tokens`, when given.
    public let maxOutputTokens: Int64?
    /// How many answers the upstream generates: the larger of `n` and `best_of` (1 when neither is given).
    public let choices: Int64
    /// Size in bytes of the whole body: every member can reach the model (messages, tools, response format...).
    public var bodyBytes: Int { bytes.count }

    /// The members read, in the order of `Member.names`. None may appear twice: the body forwarded is the body
    /// checked, whichever duplicate an upstream's parser would keep.
    private enum Member: Int {
        case model, stream, streamOptions, maxTokens, maxCompletionTokens, maxOutputTokens, n, bestOf

        static let names = [
            "model", "stream", "stream_options", "max_tokens", "max_completion_tokens", "max_output_tokens", "n",
            "best_of",
        ]
        static let maxOutput: [Member] = [.maxTokens, .maxCompletionTokens, .maxOutputTokens]
        var name: String { Self.names[rawValue] }
    }

    /// Reads a body; fails with a message that says what is wrong.
    public init(bytes: [UInt8]) throws(RelayRequestError) {
        self.bytes = bytes
        let ranges: [Range<Int>?]
        do {
            (ranges, openBrace) = try JSONObjectScanner.lastMembers(
                named: Member.names, in: bytes, rejectingDuplicates: true)
        } catch .duplicateMember(let key) {
            throw .duplicateMember(key)
        } catch {
            throw .invalidJSON(error.description)
        }
        func range(_ member: Member) -> Range<Int>? { ranges[member.rawValue] }
        guard let modelRange = range(.model) else { throw .missingModel }
        guard bytes[modelRange.lowerBound] == UInt8(ascii: "\""),
            let name = try? JSONObjectScanner.decodeString(bytes[modelRange]), !name.isEmpty
        else { throw .invalidField("model", "must be a non-empty string") }
        self.modelRange = modelRange
        model = name
        if let r = range(.stream) {
            let raw = bytes[r]
            if raw.elementsEqual("true".utf8) {
                stream = true
            } else if raw.elementsEqual("false".utf8) || raw.elementsEqual("null".utf8) {
                stream = false
            } else {
                throw .invalidField("stream", "must be true or false")
            }
        } else {
            stream = false
        }
        streamOptionsRange = range(.streamOptions)
        var requested = false
        if let r = streamOptionsRange, bytes[r.lowerBound] == UInt8(ascii: "{") {
            let inner: [Range<Int>?]
            do {
                inner = try JSONObjectScanner.lastMembers(
                    named: ["include_usage"], in: Array(bytes[r]), rejectingDuplicates: true
                ).ranges
            } catch .duplicateMember(let key) {
                throw .duplicateMember("stream_options.\(key)")
            } catch {
                throw .invalidField("stream_options", "must be an object")
            }
            if let u = inner[0] { requested = Array(bytes[r])[u].elementsEqual("true".utf8) }
        }
        clientRequestedUsage = requested
        func integer(_ member: Member, minimum: Int64) throws(RelayRequestError) -> Int64? {
            guard let r = range(member) else { return nil }
            let raw = bytes[r]
            if raw.elementsEqual("null".utf8) { return nil }
            guard let text = String(validating: raw, as: UTF8.self), let v = Int64(text), v >= minimum else {
                throw .invalidField(
                    member.name, minimum == 0 ? "must be a non-negative integer" : "must be an integer of at least 1")
            }
            return v
        }
        // The largest limit given counts (an upstream may read any of them), and 0 is no limit at all to some
        // upstreams (vLLM reads `max_completion_tokens or max_tokens`): it counts as absent.
        var maxTokens: Int64?
        for member in Member.maxOutput {
            if let v = try integer(member, minimum: 0), v > 0 { maxTokens = max(maxTokens ?? 0, v) }
        }
        maxOutputTokens = maxTokens
        choices = max(try integer(.n, minimum: 1) ?? 1, try integer(.bestOf, minimum: 1) ?? 1)
    }

    /// Whether ``forwardedBytes(upstreamModel:askForUsage:)`` would change anything.
    public func needsRewrite(upstreamModel: String, askForUsage: Bool) -> Bool {
        upstreamModel != model || (askForUsage && !clientRequestedUsage)
    }

    /// The body to send upstream: `model` set to `upstreamModel` and, when `askForUsage` is true and the client
    /// did not ask already, `stream_options.include_usage` set to true. Returns the original bytes when nothing
    /// changes.
    public func forwardedBytes(upstreamModel: String, askForUsage: Bool) -> [UInt8] {
        guard needsRewrite(upstreamModel: upstreamModel, askForUsage: askForUsage) else { return bytes }
        var edits: [(range: Range<Int>, replacement: [UInt8])] = []
        if upstreamModel != model {
            edits.append((modelRange, JSONText.quoted(upstreamModel)))
        }
        if askForUsage && !clientRequestedUsage {
            if let r = streamOptionsRange, bytes[r.lowerBound] == UInt8(ascii: "{"),
                let inner = try? JSONObjectScanner(Array(bytes[r]))
            {
                let base = r.lowerBound
                if let u = inner.range(of: "include_usage") {
                    edits.append(((base + u.lowerBound)..<(base + u.upperBound), Array("true".utf8)))
                } else {
                    let insertAt = base + inner.openBrace + 1
                    let text = inner.members.isEmpty ? "\"include_usage\":true" : "\"include_usage\":true,"
                    edits.append((insertAt..<insertAt, Array(text.utf8)))
                }
            } else if let r = streamOptionsRange {
                edits.append((r, Array("{\"include_usage\":true}".utf8)))
            } else {
                let insertAt = openBrace + 1
                edits.append((insertAt..<insertAt, Array("\"stream_options\":{\"include_usage\":true},".utf8)))
            }
        }
        guard !edits.isEmpty else { return bytes }
        edits.sort { $0.range.lowerBound < $1.range.lowerBound }
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count + 64)
        var cursor = 0
        for edit in edits {
            out.append(contentsOf: bytes[cursor..<edit.range.lowerBound])
            out.append(contentsOf: edit.replacement)
            cursor = edit.range.upperBound
        }
        out.append(contentsOf: bytes[cursor...])
        return out
    }
}

/// Why a request body cannot be relayed.
public enum RelayRequestError: Error, Equatable, Sendable, CustomStringConvertible {
    case invalidJSON(String)
    case missingModel
    case invalidField(String, String)
    case duplicateMember(String)

    public var description: String {
        switch self {
        case .invalidJSON(let why): why
        case .missingModel: "you must provide a model parameter"
        case .invalidField(let name, let why): "'\(name)' \(why)"
        case .duplicateMember(let name):
            "the member '\(name)' appears more than once (names are compared regardless of case) or in another case"
        }
    }
}

/// Small helpers to write JSON text without an encoder.
public enum JSONText {
    /// `value` as a JSON string literal, as UTF-8 bytes.
    public static func quoted(_ value: String) -> [UInt8] {
        var out: [UInt8] = []
        appendQuoted(value, to: &out)
        return out
    }

    /// Appends `value` as a JSON string literal: `"` and `\` escaped, control characters as `\n`, `\r`, `\t` or
    /// `\u00XX`, everything else (UTF-8 included) as it is. A string with nothing to escape is copied in one go.
    public static func appendQuoted(_ value: String, to out: inout [UInt8]) {
        var value = value
        value.withUTF8 { bytes in
            out.append(UInt8(ascii: "\""))
            if !bytes.contains(where: { $0 < 0x20 || $0 == 0x22 || $0 == 0x5C }) {
                out.append(contentsOf: bytes)
            } else {
                for byte in bytes { appendEscaped(byte, to: &out) }
            }
            out.append(UInt8(ascii: "\""))
        }
    }

    private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    private static func appendEscaped(_ byte: UInt8, to out: inout [UInt8]) {
        switch byte {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"):
            out.append(0x5C)
            out.append(byte)
        case 0x0A:
            out.append(0x5C)
            out.append(UInt8(ascii: "n"))
        case 0x0D:
            out.append(0x5C)
            out.append(UInt8(ascii: "r"))
        case 0x09:
            out.append(0x5C)
            out.append(UInt8(ascii: "t"))
        case 0..<0x20:
            out.append(0x5C)
            out.append(UInt8(ascii: "u"))
            out.append(0x30)
            out.append(0x30)
            out.append(hexDigits[Int(byte >> 4)])
            out.append(hexDigits[Int(byte & 0xF)])
        default: out.append(byte)
        }
    }

    /// `value` as a JSON string literal.
    public static func quotedString(_ value: String) -> String {
        String(decoding: quoted(value), as: UTF8.self)
    }
}
