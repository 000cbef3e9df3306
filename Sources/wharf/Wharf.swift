import ArgumentParser
import Foundation
import NIOCore
import NIOPosix

/// The process entry point. Before anything else runs, it sizes SwiftNIO's event-loop group (`WHARF_THREADS` or
/// `--threads`, read here because the group is created once per process) and makes it Swift Concurrency's global
/// executor, so a relayed request runs on the event loops that do its I/O instead of hopping between thread pools.
@main
enum WharfMain {
    static func main() async {
        let arguments = CommandLine.arguments
        var threads = ProcessInfo.processInfo.environment["WHARF_THREADS"].flatMap { Int($0) }
        if let i = arguments.firstIndex(of: "--threads"), i + 1 < arguments.count { threads = Int(arguments[i + 1]) }
        if let threads, threads > 0, threads <= 256 { NIOSingletons.groupLoopCountSuggestion = threads }
        NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()
        await Wharf.main()
    }
}

/// The `wharf` command: the server and the operator tasks, all reading the same configuration.
struct Wharf: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "wharf",
        abstract: "Wharf: a self-hosted LLM API gateway and billing platform.",
        subcommands: [
            Serve.self, Migrate.self, AdminCommand.self, UserCommand.self, CreditCommand.self, KeyCommand.self,
            ChannelCommand.self, PriceCommand.self, LedgerCommand.self, AuditCommand.self, PaymentCommand.self,
            RetentionCommand.self, ExportCommand.self,
            CodeCommand.self,
            BackupCommand.self, RestoreCommand.self, SecretsCommand.self,
        ],
        defaultSubcommand: Serve.self
    )
}
