import NIOCore
import NIOSSL

extension SMTPError {
    /// Maps an error thrown by NIO, NIOSSL or the task machinery to an ``SMTPError``.
    static func classifying(_ error: any Error, command: String? = nil) -> SMTPError {
        switch error {
        case let error as SMTPError:
            return error
        case is CancellationError:
            return SMTPError(.timeout, command: command)
        case let error as ChannelError:
            if case .connectTimeout = error {
                return SMTPError(.timeout, command: command, detail: "connect timed out")
            }
            return SMTPError(.connect, command: command, detail: "\(error)")
        case is NIOSSLError, is BoringSSLError, is NIOSSLExtraError:
            return SMTPError(.tls, command: command, detail: "\(error)")
        default:
            return SMTPError(.connect, command: command, detail: "\(error)")
        }
    }
}
