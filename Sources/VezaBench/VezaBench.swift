import ArgumentParser

/// Benchmarks of Veza Media's building blocks, run by `scripts/bench/*.sh`.
@main
struct VezaBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "veza-bench",
        abstract: "Benchmarks of Veza Media's building blocks.",
        subcommands: [StoreRoundTrip.self, GenerateData.self]
    )
}
