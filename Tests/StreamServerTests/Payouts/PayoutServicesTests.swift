import Database
import Foundation
import Logging
import Marketplace
import ServiceLifecycle
import TestSupport
import Testing

@testable import StreamServer

@Suite("Payout workers as services")
struct PayoutServicesTests {
    @Test("serve and worker both run the transfer retry and reversal workers")
    func wired() async throws {
        try await TestApp.with(
            .sqlite,
            environment: ["TRANSFER_RETRY_INTERVAL": "1s", "REVERSAL_CHECK_INTERVAL": "2s"]
        ) {
            components,
            _ in
            let services = components.backgroundServices
            let retry = try #require(services.compactMap { $0 as? TransferRetryWorker }.first)
            let reversal = try #require(services.compactMap { $0 as? ReversalWorker }.first)
            #expect(services.contains { $0 is PayoutQueue })
            #expect(retry.interval == .seconds(1))
            #expect(reversal.interval == .seconds(2))
        }
    }

    @Test(
        "in a ServiceGroup the workers finish due rows on their own and stop on graceful shutdown",
        arguments: DatabaseEngine.allCases
    )
    func loop(engine: DatabaseEngine) async throws {
        try await PayoutFixture.with(engine) { f in
            // Real time here: the services use their own clock.
            let failed = try await f.pendingTransfer()
            f.fake.failNext(1, of: .createTransfer)
            let realSender = TransferSender(
                database: f.database,
                provider: f.provider,
                policy: f.policy,
                logger: TestDatabase.logger
            )
            await realSender.send(failed.id)
            try await f.transfers.reschedule(
                try await f.row(failed.id),
                retryCount: 1,
                nextRetryAt: Date(),
                lastError: "due now",
                now: Date()
            )
            let reversing = try await f.pendingTransfer()
            await realSender.send(reversing.id)
            try await f.transfers.transition(
                reversing.id,
                from: .completed,
                to: .reversalPending,
                changes: .init(nextRetryAt: .some(Date())),
                now: Date()
            )
            let readiness = ReadinessGate(open: true)
            let group = ServiceGroup(
                configuration: .init(
                    services: [
                        TransferRetryWorker(
                            sender: realSender,
                            interval: .milliseconds(200),
                            readiness: readiness,
                            logger: TestDatabase.logger
                        ),
                        ReversalWorker(
                            reverser: TransferReverser(
                                database: f.database,
                                provider: f.provider,
                                policy: f.policy,
                                logger: TestDatabase.logger
                            ),
                            interval: .milliseconds(200),
                            readiness: readiness,
                            logger: TestDatabase.logger
                        ),
                    ],
                    logger: TestDatabase.logger
                )
            )
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask { try await group.run() }
                let deadline = Date().addingTimeInterval(20)
                while Date() < deadline {
                    let a = try await f.row(failed.id).status
                    let b = try await f.row(reversing.id).status
                    if a == .completed && b == .reversed { break }
                    try await Task.sleep(for: .milliseconds(100))
                }
                await group.triggerGracefulShutdown()
                try await tasks.waitForAll()
            }
            #expect(try await f.row(failed.id).status == .completed)
            #expect(try await f.row(reversing.id).status == .reversed)
        }
    }
}
