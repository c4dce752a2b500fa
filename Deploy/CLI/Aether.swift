import ArgumentParser

/// The `aether` command: keys, chain utilities, consensus simulation and benchmarks (the node,
/// localnet and relayer commands join as their issues land).
@main
struct Aether: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "aether",
        abstract: "Aether: a multi-chain framework for selling and settling AI compute.",
        version: "0.1.0",
        subcommands: [
            NodeCommand.self, Localnet.self, TxCommand.self, QueryCommand.self, Keys.self, Util.self, Sim.self,
            Bench.self, DACommand.self, SettleCommand.self, SettlementCommand.self, WatchtowerCommand.self,
            ChannelCommand.self,
        ]
    )
}
