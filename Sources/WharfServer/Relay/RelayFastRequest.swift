import NIOCore
import NIOHTTP1
import WharfUpstream

/// The head of a request the relay reads itself, before NIO's HTTP decoder: the common shape of an API call, and
/// nothing else. `POST` to a relayed endpoint, `HTTP/1.1`, CRLF line ends, one `Content-Length`, no
/// `Transfer-Encoding`, `Expect` or `Upgrade`, no field repeated that the relay reads, a head within 8 KiB.
///
/// Anything else, including anything malformed, is "not fast": the connection then hands its bytes, from that
/// request on, to NIO's decoder and the usual path (which also answers malformed requests). Being strict here
/// costs nothing but speed, and keeps the two readers from ever disagreeing on where a request ends.
struct RelayFastRequest: Equatable {
    /// The request target as sent.
    var uri: String
    /// The relayed endpoint the target is for.
    var endpoint: RelayEngine.Endpoint
    var contentLength: Int
    var authorization: String?
    var apiKey: String?
    var forwardedFor: String?
    var anthropicVersion: String?
    var anthropicBeta: String?
    /// The client asked to close the connection after this answer.
    var close: Bool

    /// What a look at the start of a connection's unread bytes found.
    enum Verdict: Equatable {
        /// The head is not complete yet (and is still within the limit).
        case needMore
        /// Not a request for this path: hand over to the decoder.
        case notFast
        /// A fast request whose head is the first `headLength` bytes.
        case fast(RelayFastRequest, headLength: Int)
    }

    static let maxHeadBytes = 8 * 1024

    /// Reads the head at the start of `bytes`, if it is one of the fast kind. Walks the bytes once, line by line.
    static func read(_ bytes: ByteBufferView) -> Verdict {
        bytes.withContiguousStorageIfAvailable(read) ?? Array(bytes).withUnsafeBufferPointer(read)
    }

    /// ``read(_:)`` over memory: it runs for every request.
    private static func read(_ bytes: UnsafeBufferPointer<UInt8>) -> Verdict {
        guard let first = bytes.first else { return .needMore }
        guard first == UInt8(ascii: "P") else { return .notFast }
        let limit = min(bytes.count, maxHeadBytes)
        var request = RelayFastRequest(uri: "", endpoint: .chat, contentLength: -1, close: false)
        var seen: UInt16 = 0
        var lineStart = 0
        var isRequestLine = true
        while true {
            var newline = lineStart
            while newline < limit && bytes[newline] != UInt8(ascii: "\n") { newline += 1 }
            guard newline < limit else { return limit >= maxHeadBytes ? .notFast : .needMore }
            // Lines end in CRLF here; a bare LF is for the decoder to judge.
            guard newline > lineStart, bytes[newline - 1] == UInt8(ascii: "\r") else { return .notFast }
            let line = UnsafeBufferPointer(rebasing: bytes[lineStart..<(newline - 1)])
            lineStart = newline + 1
            if isRequestLine {
                guard let (uri, endpoint) = requestTarget(line) else { return .notFast }
                request.uri = uri
                request.endpoint = endpoint
                isRequestLine = false
                continue
            }
            if line.isEmpty { break }
            // Folding, a bad name, or a control character (a bare CR included) in a value: the decoder decides.
            guard let (nameRange, valueRange) = try? HTTPFieldSyntax.splitOffsets(line) else { return .notFast }
            guard let field = Field.named(UnsafeBufferPointer(rebasing: line[nameRange])) else { continue }
            let value = UnsafeBufferPointer(rebasing: line[valueRange])
            let bit: UInt16 = 1 << UInt16(field.rawValue)
            guard seen & bit == 0 else { return .notFast }
            seen |= bit
            switch field {
            case .transferEncoding, .expect, .upgrade:
                return .notFast
            case .contentLength:
                // NIO's decoder refuses a tab after the digits (spaces it takes): such a head is its to refuse.
                guard (1...18).contains(value.count), value.allSatisfy({ $0 &- UInt8(ascii: "0") < 10 }),
                    !line[valueRange.upperBound...].contains(UInt8(ascii: "\t"))
                else {
                    return .notFast
                }
                request.contentLength = value.reduce(0) { $0 * 10 + Int($1 - UInt8(ascii: "0")) }
            case .connection:
                HTTPFieldSyntax.forEachListItem(value) { option in
                    if HTTPFieldSyntax.equalsLowercased(option, "close") { request.close = true }
                }
            case .authorization: request.authorization = String(decoding: value, as: UTF8.self)
            case .apiKey: request.apiKey = String(decoding: value, as: UTF8.self)
            case .forwardedFor: request.forwardedFor = String(decoding: value, as: UTF8.self)
            case .anthropicVersion: request.anthropicVersion = String(decoding: value, as: UTF8.self)
            case .anthropicBeta:
                // Every line, joined with commas (as the slow path and HTTP's list syntax do).
                let line = String(decoding: value, as: UTF8.self)
                request.anthropicBeta = request.anthropicBeta.map { $0 + "," + line } ?? line
            }
        }
        guard request.contentLength >= 0 else { return .notFast }
        return .fast(request, headLength: lineStart)
    }

    /// `POST <target> HTTP/1.1` with a relayed endpoint as the target's path.
    private static func requestTarget(_ line: UnsafeBufferPointer<UInt8>) -> (String, RelayEngine.Endpoint)? {
        let prefix: StaticString = "POST /"
        let suffix: StaticString = " HTTP/1.1"
        let p = prefix.utf8CodeUnitCount
        let q = suffix.utf8CodeUnitCount
        guard line.count > p + q else { return nil }
        let framed =
            prefix.withUTF8Buffer { UnsafeBufferPointer(rebasing: line[0..<p]).elementsEqual($0) }
            && suffix.withUTF8Buffer { UnsafeBufferPointer(rebasing: line[(line.count - q)...]).elementsEqual($0) }
        guard framed else { return nil }
        let target = UnsafeBufferPointer(rebasing: line[(p - 1)..<(line.count - q)])
        for byte in target where !(byte > 0x20 && byte < 0x7F) { return nil }
        guard let endpoint = RelayEngine.Endpoint(requestTarget: target) else { return nil }
        return (String(decoding: target, as: UTF8.self), endpoint)
    }

    /// The fields read here.
    private enum Field: Int {
        case contentLength, transferEncoding, expect, upgrade, connection, authorization, apiKey, forwardedFor
        case anthropicVersion, anthropicBeta

        static func named(_ name: UnsafeBufferPointer<UInt8>) -> Field? {
            switch name.count {
            case 6: return HTTPFieldSyntax.equalsLowercased(name, "expect") ? .expect : nil
            case 7: return HTTPFieldSyntax.equalsLowercased(name, "upgrade") ? .upgrade : nil
            case 9: return HTTPFieldSyntax.equalsLowercased(name, "x-api-key") ? .apiKey : nil
            case 10: return HTTPFieldSyntax.equalsLowercased(name, "connection") ? .connection : nil
            case 13: return HTTPFieldSyntax.equalsLowercased(name, "authorization") ? .authorization : nil
            case 14:
                if HTTPFieldSyntax.equalsLowercased(name, "content-length") { return .contentLength }
                return HTTPFieldSyntax.equalsLowercased(name, "anthropic-beta") ? .anthropicBeta : nil
            case 15: return HTTPFieldSyntax.equalsLowercased(name, "x-forwarded-for") ? .forwardedFor : nil
            case 17:
                if HTTPFieldSyntax.equalsLowercased(name, "transfer-encoding") { return .transferEncoding }
                return HTTPFieldSyntax.equalsLowercased(name, "anthropic-version") ? .anthropicVersion : nil
            default: return nil
            }
        }
    }

    /// What the relay reads from the head.
    var relayHead: RelayRequestHead {
        var head = RelayRequestHead(
            endpoint: endpoint, contentLength: contentLength, authorization: authorization, apiKey: apiKey,
            forwardedFor: forwardedFor, closeAfterAnswer: close)
        head.anthropicVersion = anthropicVersion
        head.anthropicBeta = anthropicBeta
        return head
    }
}

/// Where ``RelayFastPath`` hands the parts of the requests it reads (the connection's ``RelayFrontHandler``).
protocol RelayRequestSink: AnyObject {
    /// A part of a request: the head as the relay reads it, the body and end as NIO's decoder would give them.
    func deliver(_ part: RelayRequestPart)
    /// No more requests are taken up on this connection.
    var isClosing: Bool { get }
    /// Bytes arrived from the client (for the connection's time limits).
    func bytesArrived()
}

/// Sits before NIO's HTTP decoder in each client connection and reads the common API call itself (see
/// ``RelayFastRequest``), handing its head, body and end straight to the ``RelayFrontHandler``. At the first request
/// of another kind the connection hands over to the decoder for good, starting at that request's first byte, so the
/// decoder never starts in the middle of a request.
final class RelayFastPath: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private let sink: RelayRequestSink
    /// Bytes read and not yet handed on.
    private var pending = ByteBuffer()
    /// Bytes of the current fast request's body still to come.
    private var bodyLeft = 0
    /// How much of `pending` is known to hold no end of head: a head arriving in pieces is read once it is whole.
    private var searched = 0
    private var handedOver = false

    init(sink: RelayRequestSink) {
        self.sink = sink
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        sink.bytesArrived()
        guard !handedOver else {
            context.fireChannelRead(data)
            return
        }
        guard !sink.isClosing else { return }
        var bytes = unwrapInboundIn(data)
        if pending.readableBytes == 0 {
            pending = bytes
        } else {
            pending.writeBuffer(&bytes)
        }
        drain(context)
    }

    /// The client takes answers again: requests held back while it did not are taken up.
    func channelWritabilityChanged(context: ChannelHandlerContext) {
        context.fireChannelWritabilityChanged()
        if !handedOver && context.channel.isWritable && pending.readableBytes > 0 { drain(context) }
    }

    private func drain(_ context: ChannelHandlerContext) {
        reading: while pending.readableBytes > 0 {
            // An answer given at once may have closed the connection: nothing more is taken up.
            guard !sink.isClosing, context.channel.isActive else {
                pending = ByteBuffer()
                return
            }
            // A client that does not read its answers gets no more of them until it does (a new head waits here;
            // the rest of a body being read still goes on).
            if bodyLeft == 0 && !context.channel.isWritable { break reading }
            if bodyLeft > 0 {
                let n = min(bodyLeft, pending.readableBytes)
                guard let piece = pending.readSlice(length: n) else { break reading }
                bodyLeft -= n
                sink.deliver(.decoded(.body(piece)))
                if bodyLeft == 0 { sink.deliver(.decoded(.end(nil))) }
                continue
            }
            guard headMayBeWhole() else { break reading }
            switch RelayFastRequest.read(pending.readableBytesView) {
            case .needMore:
                break reading
            case .notFast:
                return handOver(context)
            case .fast(let request, let headLength):
                pending.moveReaderIndex(forwardBy: headLength)
                searched = 0
                bodyLeft = request.contentLength
                sink.deliver(.relayHead(request.relayHead))
                if bodyLeft == 0 { sink.deliver(.decoded(.end(nil))) }
            }
        }
        // Let go of the read buffer once it is all handed on, so the allocator can reuse it.
        if pending.readableBytes == 0 { pending = ByteBuffer() }
    }

    /// Whether `pending` may hold a whole head (or is over the limit, or cannot be a fast one): only the bytes not
    /// searched before are searched for the blank line.
    private func headMayBeWhole() -> Bool {
        let view = pending.readableBytesView
        guard view.count < RelayFastRequest.maxHeadBytes, view.first == UInt8(ascii: "P") else { return true }
        let from = max(0, searched - 3)
        let found =
            view.withContiguousStorageIfAvailable { bytes in
                // The blank line ends a head as CRLF CRLF, or (not fast, but the decoder must see it) as a bare LF
                // after a line end: LF LF or LF CR LF.
                var i = from
                while i + 1 < bytes.count {
                    if bytes[i] == 10
                        && (bytes[i + 1] == 10 || (i + 2 < bytes.count && bytes[i + 1] == 13 && bytes[i + 2] == 10))
                    {
                        return true
                    }
                    i += 1
                }
                return false
            } ?? true
        searched = found ? 0 : view.count
        return found
    }

    private func handOver(_ context: ChannelHandlerContext) {
        handedOver = true
        let rest = pending
        pending = ByteBuffer()
        if rest.readableBytes > 0 { context.fireChannelRead(wrapInboundOut(rest)) }
    }
}
