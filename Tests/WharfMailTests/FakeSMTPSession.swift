import NIOCore
import NIOSSL

/// One connection of ``FakeSMTPServer``: reads command lines and answers them as its behavior says.
final class FakeSMTPSession: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private enum State {
        case command
        case authLoginUsername
        case authLoginPassword
        case data
    }

    private let behavior: FakeSMTPServer.Behavior
    private let recorder: FakeSMTPServer.Recorder
    private var buffer: [UInt8] = []
    private var state = State.command
    private var overTLS: Bool
    private var dataLines: [[UInt8]] = []
    private var rawData: [UInt8] = []

    init(behavior: FakeSMTPServer.Behavior, recorder: FakeSMTPServer.Recorder) {
        self.behavior = behavior
        self.recorder = recorder
        self.overTLS = behavior.implicitTLS
    }

    func channelActive(context: ChannelHandlerContext) {
        if behavior.greets { reply(context, "220 fake.test ESMTP ready") }
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let bytes = Array(unwrapInboundIn(data).readableBytesView)
        recorder.update { $0.allBytes += bytes }
        buffer += bytes
        while let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
            var line = Array(buffer[..<newline])
            buffer.removeFirst(newline + 1)
            if state == .data { rawData += line + [UInt8(ascii: "\n")] }
            if line.last == UInt8(ascii: "\r") { line.removeLast() }
            handle(line, context: context)
        }
    }

    private func handle(_ line: [UInt8], context: ChannelHandlerContext) {
        let text = String(decoding: line, as: UTF8.self)
        switch state {
        case .data:
            if line == [UInt8(ascii: ".")] {
                let message = dataLines.map { $0 + [UInt8(ascii: "\r"), UInt8(ascii: "\n")] }.joined()
                recorder.update {
                    $0.messages.append(Array(message))
                    $0.rawMessages.append(rawData)
                }
                dataLines = []
                rawData = []
                state = .command
                reply(context, "250 2.0.0 queued as FAKE1")
            } else {
                dataLines.append(line.first == UInt8(ascii: ".") ? Array(line.dropFirst()) : line)
            }
            return
        case .authLoginUsername:
            record(text)
            state = .authLoginPassword
            reply(context, "334 UGFzc3dvcmQ6")
            return
        case .authLoginPassword:
            record(text)
            state = .command
            reply(context, behavior.authReply)
            return
        case .command:
            record(text)
        }
        let verb = text.uppercased()
        if verb.hasPrefix("EHLO ") {
            guard !behavior.rejectsEHLO else { return reply(context, "502 5.5.1 EHLO not implemented") }
            var lines = ["fake.test greets you", "PIPELINING", "8BITMIME"]
            if behavior.offersStartTLS, !overTLS { lines.append("STARTTLS") }
            if !behavior.authMechanisms.isEmpty {
                lines.append("AUTH " + behavior.authMechanisms.joined(separator: " "))
            }
            reply(context, lines: lines, code: 250)
        } else if verb.hasPrefix("HELO ") {
            reply(context, "250 fake.test")
        } else if verb == "STARTTLS", behavior.offersStartTLS, !overTLS, let tls = behavior.tls {
            // Answer and put TLS in front in the same event-loop turn, so no client byte can slip past it.
            reply(context, behavior.injectsAfterStartTLS ? "220 2.0.0 Ready\r\n250 forged" : "220 2.0.0 Ready")
            do {
                try context.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: tls), position: .first)
            } catch {
                context.close(promise: nil)
            }
            overTLS = true
            buffer = []
        } else if verb.hasPrefix("AUTH PLAIN") {
            reply(context, behavior.authReply)
        } else if verb == "AUTH LOGIN" {
            state = .authLoginUsername
            reply(context, "334 VXNlcm5hbWU6")
        } else if verb.hasPrefix("MAIL FROM:") {
            reply(context, "250 2.1.0 OK")
        } else if verb.hasPrefix("RCPT TO:") {
            reply(context, behavior.rcptReply)
        } else if verb == "DATA" {
            state = .data
            reply(context, "354 End data with <CR><LF>.<CR><LF>")
        } else if verb == "QUIT" {
            let channel = context.channel
            context.writeAndFlush(wrapOutboundOut(channel.allocator.buffer(string: "221 2.0.0 Bye\r\n")))
                .whenComplete { _ in channel.close(promise: nil) }
        } else {
            reply(context, "500 5.5.2 unknown command")
        }
    }

    private func record(_ line: String) {
        let overTLS = self.overTLS
        recorder.update { $0.commands.append((line, overTLS)) }
    }

    private func reply(_ context: ChannelHandlerContext, _ line: String) {
        context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(string: line + "\r\n")), promise: nil)
    }

    private func reply(_ context: ChannelHandlerContext, lines: [String], code: Int) {
        let text = lines.enumerated().map { index, line in
            "\(code)\(index == lines.count - 1 ? " " : "-")\(line)\r\n"
        }.joined()
        context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(string: text)), promise: nil)
    }
}
