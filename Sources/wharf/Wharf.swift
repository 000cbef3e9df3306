import ArgumentParser

/// The `wharf` command: the server and the operator tasks, all reading the same configuration.
@main
struct Wharf: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "wharf",
        abstract: "Wharf: a self-hosted LLM API gateway and billing platform.",
        subcommands: [
            Serve.self, Migrate.self, AdminCommand.self, UserCommand.self, CreditCommand.self, KeyCommand.self,
            ChannelCommand.self, PriceCommand.self, LedgerCommand.self,
        ],
        defaultSubcommand: Serve.self
    )
}
