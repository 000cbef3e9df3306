import NIOCore
import NIOPosix
import NIOSSL
import Synchronization

/// A scripted SMTP server on 127.0.0.1 (port 0) that records what clients send. Test support only.
final class FakeSMTPServer: Sendable {
    /// How the server answers.
    struct Behavior: Sendable {
        /// Send the 220 greeting; `false` makes a server that never answers.
        var greets = true
        /// Answer EHLO with 502 so that the client falls back to HELO.
        var rejectsEHLO = false
        /// Offer STARTTLS (needs `tls`).
        var offersStartTLS = false
        /// Speak TLS from the first byte (needs `tls`).
        var implicitTLS = false
        /// The server side of TLS.
        var tls: NIOSSLContext?
        /// Send a forged reply in the same write as the 220 reply to STARTTLS.
        var injectsAfterStartTLS = false
        /// Mechanisms announced in `AUTH`; none means no AUTH line.
        var authMechanisms: [String] = []
        /// The final reply to AUTH.
        var authReply = "235 2.7.0 Authentication successful"
        /// The reply to RCPT TO.
        var rcptReply = "250 2.1.5 OK"
    }

    /// Everything the server received.
    struct Received: Sendable {
        /// Command lines in order, with whether they came over TLS (AUTH LOGIN continuation lines included).
        var commands: [(line: String, overTLS: Bool)] = []
        /// Every byte received (decrypted when TLS), for "was the password ever sent" checks.
        var allBytes: [UInt8] = []
        /// Each message as received after DATA, dot-stuffing removed, terminator excluded.
        var messages: [[UInt8]] = []
        /// Each message exactly as sent on the wire, terminator included.
        var rawMessages: [[UInt8]] = []
    }

    /// The bound port.
    let port: Int
    private let channel: any Channel
    private let recorder: Recorder

    private init(port: Int, channel: any Channel, recorder: Recorder) {
        self.port = port
        self.channel = channel
        self.recorder = recorder
    }

    /// What has been received so far.
    var received: Received { recorder.snapshot }

    /// Starts a server with `behavior`.
    static func start(_ behavior: Behavior) async throws -> FakeSMTPServer {
        let recorder = Recorder()
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if behavior.implicitTLS, let tls = behavior.tls {
                        try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: tls))
                    }
                    try channel.pipeline.syncOperations.addHandler(
                        FakeSMTPSession(behavior: behavior, recorder: recorder)
                    )
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        guard let port = channel.localAddress?.port else { throw ServerError.noPort }
        return FakeSMTPServer(port: port, channel: channel, recorder: recorder)
    }

    /// Stops listening.
    func stop() async throws {
        try await channel.close()
    }

    /// The server could not start.
    enum ServerError: Error { case noPort }

    /// The lock-protected record shared by all sessions of one server.
    final class Recorder: Sendable {
        private let state = Mutex(Received())

        var snapshot: Received { state.withLock { $0 } }

        func update(_ body: (inout Received) -> Void) { state.withLock { body(&$0) } }
    }
}
