import ArgumentParser
import StreamServer

struct Worker: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run background workers only (transcoding), for scaling out next to `veza serve`.",
        discussion: """
            Workers claim jobs from the database queue with leases, so any number of `veza worker` \
            processes can share one PostgreSQL database. A worker killed mid-job loses its lease and \
            another worker re-runs the job.
            """
    )

    @Option(help: "Number of concurrent workers (default: TRANSCODE_WORKERS, or 1).")
    var concurrency: Int?

    func run() async throws {
        let configuration = CommandSupport.configuration()
        if let concurrency = self.concurrency, !(1...64).contains(concurrency) {
            CommandSupport.fail(ValidationError("--concurrency must be between 1 and 64"))
        }
        let components = await CommandSupport.components(configuration)
        let count = self.concurrency ?? max(configuration.transcodeWorkers, 1)
        do {
            if components.workers(count: count).isEmpty {
                components.logger.warning("no job handler is registered; the worker has nothing to do")
            }
            try await buildServiceGroup(components, role: .worker(concurrency: count)).run()
        } catch {
            CommandSupport.fail(error)
        }
    }
}
