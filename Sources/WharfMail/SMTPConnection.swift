import Logging
import NIOCore
import NIOSSL

/// The transport of one conversation: writes command lines and reads complete replies over an async channel,
/// and upgrades itself to TLS in place for `STARTTLS`.
///
/// Lives inside `NIOAsyncChannel.executeThenClose`; it is not shared between tasks.
struct SMTPConnection {
    private var inbound: NIOAsyncChannelInboundStream<SMTPInboundEvent>.AsyncIterator
    private let outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>
    private let channel: any Channel
    private var parser = SMTPReplyParser()
    private let logger: Logger
    /// True once the bytes travel over TLS (implicit TLS or after `STARTTLS`).
    private(set) var isTLS = false

    /// Wraps the two halves of an async channel and the channel itself (for the `STARTTLS` pipeline change).
    init(
        inbound: NIOAsyncChannelInboundStream<SMTPInboundEvent>,
        outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>,
        channel: any Channel,
        logger: Logger
    ) {
        self.inbound = inbound.makeAsyncIterator()
        self.outbound = outbound
        self.channel = channel
        self.logger = logger
    }

    /// Sends `line` plus CRLF. `verb` is what logs and errors show (never the arguments of `AUTH`).
    func send(_ line: String, verb: String) async throws(SMTPError) {
        logger.trace("smtp send", metadata: ["smtp.command": "\(verb)"])
        try await write(Array(line.utf8) + [UInt8(ascii: "\r"), UInt8(ascii: "\n")], verb: verb)
    }

    /// Sends raw bytes (the `DATA` payload).
    func write(_ bytes: [UInt8], verb: String) async throws(SMTPError) {
        do {
            try await outbound.write(channel.allocator.buffer(bytes: bytes))
        } catch {
            throw SMTPError.classifying(error, command: verb)
        }
    }

    /// Sends `line` and reads the reply to it.
    mutating func command(_ line: String, verb: String) async throws(SMTPError) -> SMTPReply {
        try await send(line, verb: verb)
        return try await readReply(verb: verb)
    }

    /// Reads the next complete reply.
    mutating func readReply(verb: String) async throws(SMTPError) -> SMTPReply {
        while true {
            do {
                if let reply = try parser.nextReply() {
                    logger.trace("smtp reply", metadata: ["smtp.command": "\(verb)", "smtp.code": "\(reply.code)"])
                    return reply
                }
            } catch {
                throw SMTPError(.protocolError, command: verb, detail: "malformed reply (\(error))")
            }
            switch try await nextEvent(verb: verb) {
            case .bytes(let bytes): parser.feed(bytes.readableBytesView)
            case .tlsHandshakeCompleted: continue
            }
        }
    }

    /// Waits for the handshake of the TLS handler that is already in the pipeline (implicit TLS).
    mutating func awaitTLSHandshake(verb: String) async throws(SMTPError) {
        switch try await nextEvent(verb: verb) {
        case .tlsHandshakeCompleted:
            isTLS = true
        case .bytes:
            throw SMTPError(.tls, command: verb, detail: "received data outside TLS")
        }
    }

    /// Puts a TLS client handler at the front of the pipeline and waits for its handshake. Fails if the server sent
    /// anything after its `220` reply to `STARTTLS` (a plaintext injection attempt).
    mutating func startTLS(context: NIOSSLContext, serverHostname: String?) async throws(SMTPError) {
        guard parser.isEmpty else {
            throw SMTPError(.tls, command: "STARTTLS", detail: "server sent data after its STARTTLS reply")
        }
        let channel = self.channel
        do {
            try await channel.eventLoop.submit {
                let handler = try NIOSSLClientHandler(context: context, serverHostname: serverHostname)
                try channel.pipeline.syncOperations.addHandler(handler, position: .first)
            }.get()
        } catch {
            throw SMTPError.classifying(error, command: "STARTTLS")
        }
        try await awaitTLSHandshake(verb: "STARTTLS")
    }

    private mutating func nextEvent(verb: String) async throws(SMTPError) -> SMTPInboundEvent {
        let event: SMTPInboundEvent?
        do {
            event = try await inbound.next()
        } catch {
            throw SMTPError.classifying(error, command: verb)
        }
        guard let event else {
            if Task.isCancelled { throw SMTPError(.timeout, command: verb) }
            throw SMTPError(.connect, command: verb, detail: "connection closed by the server")
        }
        return event
    }
}
