import Database
import Foundation
import Logging
import Retry
import SQLKit
import ServiceLifecycle
import TestSupport
import Testing

@Suite("Job queue")
struct JobQueueTests {
    struct Payload: Codable, Equatable { let trackID: UUID }

    @Test("enqueue, claim, complete", arguments: DatabaseEngine.allCases)
    func happyPath(engine: DatabaseEngine) async throws {
        try await TestDatabase.with(engine, migrations: CoreMigrations.all) { database in
            let queue = JobQueue(database: database)
            let payload = Payload(trackID: UUID())
            let id = try await queue.enqueue(queue: "transcode", payload: payload)
            #expect(try await queue.claim(queue: "other", workerID: "w1") == nil)
            let job = try #require(try await queue.claimRun(queue: "transcode", workerID: "w1"))
            #expect(job.id == id)
            #expect(job.status == .running)
            #expect(job.attempts == 1)
            #expect(job.lockedBy == "w1")
            #expect(try job.payload(as: Payload.self) == payload)
            #expect(try await queue.claim(queue: "transcode", workerID: "w2") == nil)
            try await queue.complete(job, workerID: "w1")
            #expect(try await queue.job(id: id)?.status == .succeeded)
            #expect(try await queue.claim(queue: "transcode", workerID: "w2") == nil)
        }
    }

    @Test("two claimers racing for one job: exactly one wins", arguments: DatabaseEngine.allCases)
    func race(engine: DatabaseEngine) async throws {
        try await TestDatabase.with(engine, migrations: CoreMigrations.all) { database in
            let queue = JobQueue(database: database)
            for round in 0..<20 {
                let id = try await queue.enqueue(queue: "race", payload: ["round": round])
                let winners = try await withThrowingTaskGroup(of: Job?.self) { group in
                    for worker in ["a", "b"] {
                        group.addTask { try await queue.claimRun(queue: "race", workerID: worker) }
                    }
                    return try await group.reduce(into: [Job]()) { if let job = $1 { $0.append(job) } }
                }
                #expect(winners.count == 1, "round \(round)")
                #expect(winners.first?.id == id)
                try await queue.complete(try #require(winners.first), workerID: try #require(winners.first?.lockedBy))
            }
        }
    }

    @Test("many claimers share many jobs without duplicates", arguments: DatabaseEngine.allCases)
    func manyClaimers(engine: DatabaseEngine) async throws {
        try await TestDatabase.with(engine, migrations: CoreMigrations.all) { database in
            let queue = JobQueue(database: database)
            var ids: Set<UUID> = []
            for n in 0..<30 { ids.insert(try await queue.enqueue(queue: "bulk", payload: ["n": n])) }
            let claimed = try await withThrowingTaskGroup(of: [UUID].self) { group in
                for worker in 0..<4 {
                    group.addTask {
                        var mine: [UUID] = []
                        while let job = try await queue.claimRun(queue: "bulk", workerID: "w\(worker)") {
                            mine.append(job.id)
                            try await queue.complete(job, workerID: "w\(worker)")
                        }
                        return mine
                    }
                }
                return try await group.reduce(into: [UUID]()) { $0 += $1 }
            }
            #expect(claimed.count == 30)
            #expect(Set(claimed) == ids)
        }
    }

    @Test("an expired lease is re-claimed; the old holder loses it", arguments: DatabaseEngine.allCases)
    func leaseExpiry(engine: DatabaseEngine) async throws {
        try await TestDatabase.with(engine, migrations: CoreMigrations.all) { database in
            let queue = JobQueue(database: database, leaseDuration: 30)
            let start = Date()
            try await queue.enqueue(queue: "q", payload: ["x": 1], runAt: start)
            let first = try #require(try await queue.claimRun(queue: "q", workerID: "dead-worker", now: start))
            // Still leased: nobody else gets it.
            #expect(try await queue.claim(queue: "q", workerID: "w2", now: start.addingTimeInterval(29)) == nil)
            // A heartbeat keeps it.
            #expect(try await queue.heartbeat(first, workerID: "dead-worker", now: start.addingTimeInterval(20)))
            #expect(try await queue.claim(queue: "q", workerID: "w2", now: start.addingTimeInterval(49)) == nil)
            // The worker goes silent: after the lease, another worker takes over as attempt 2.
            let second = try #require(
                try await queue.claimRun(queue: "q", workerID: "w2", now: start.addingTimeInterval(51))
            )
            #expect(second.id == first.id)
            #expect(second.attempts == 2)
            #expect(
                try await queue.heartbeat(first, workerID: "dead-worker", now: start.addingTimeInterval(52)) == false
            )
            await #expect(throws: DatabaseError.self) {
                try await queue.complete(first, workerID: "dead-worker", now: start.addingTimeInterval(53))
            }
            try await queue.complete(second, workerID: "w2", now: start.addingTimeInterval(54))
            #expect(try await queue.job(id: first.id)?.status == .succeeded)
        }
    }

    @Test("failures back off exponentially, then the job is dead", arguments: DatabaseEngine.allCases)
    func backoffThenDead(engine: DatabaseEngine) async throws {
        try await TestDatabase.with(engine, migrations: CoreMigrations.all) { database in
            let queue = JobQueue(
                database: database,
                backoff: Backoff(base: .seconds(10), cap: .seconds(3600), jitter: .proportional(0.25))
            )
            var now = Date()
            let id = try await queue.enqueue(queue: "q", payload: ["x": 1], maxAttempts: 3, runAt: now)
            for attempt in 1...2 {
                let job = try #require(try await queue.claimRun(queue: "q", workerID: "w", now: now))
                #expect(job.attempts == attempt)
                let outcome = try await queue.fail(job, workerID: "w", error: "boom \(attempt)", now: now, jitter: 0.5)
                let delay = 10 * pow(2, Double(attempt - 1))
                #expect(
                    outcome
                        == .retry(
                            .init(from: .running, to: .queued, attempts: attempt),
                            after: .seconds(delay),
                            reason: "boom \(attempt)"
                        )
                )
                #expect(try await queue.claim(queue: "q", workerID: "w", now: now.addingTimeInterval(delay - 1)) == nil)
                now = now.addingTimeInterval(delay + 1)
            }
            let last = try #require(try await queue.claimRun(queue: "q", workerID: "w", now: now))
            #expect(
                try await queue.fail(last, workerID: "w", error: "boom 3", now: now, jitter: 0.5)
                    == .bury(.init(from: .running, to: .dead, attempts: 3), reason: "boom 3")
            )
            let dead = try #require(try await queue.job(id: id))
            #expect(dead.status == .dead)
            #expect(dead.lastError == "boom 3")
            #expect(try await queue.claim(queue: "q", workerID: "w", now: now.addingTimeInterval(86400)) == nil)
        }
    }

    @Test("release hands a job back without using an attempt", arguments: DatabaseEngine.allCases)
    func release(engine: DatabaseEngine) async throws {
        try await TestDatabase.with(engine, migrations: CoreMigrations.all) { database in
            let queue = JobQueue(database: database)
            try await queue.enqueue(queue: "q", payload: ["x": 1])
            let job = try #require(try await queue.claimRun(queue: "q", workerID: "w"))
            try await queue.release(job, workerID: "w")
            let again = try #require(try await queue.claimRun(queue: "q", workerID: "w2"))
            #expect(again.attempts == 1)
        }
    }

    @Test("enqueue joins the caller's transaction", arguments: DatabaseEngine.allCases)
    func transactional(engine: DatabaseEngine) async throws {
        try await TestDatabase.with(engine, migrations: CoreMigrations.all) { database in
            let queue = JobQueue(database: database)
            struct Abort: Error {}
            await #expect(throws: Abort.self) {
                try await database.transaction { connection in
                    try await queue.enqueue(queue: "q", payload: ["x": 1], on: connection)
                    throw Abort()
                }
            }
            let counts = try await queue.counts(queue: "q")
            #expect(counts.isEmpty)
        }
    }
}

@Suite("Job worker")
struct JobWorkerTests {
    /// Succeeds on the attempt numbers listed, fails otherwise; records what it saw.
    final class ScriptedHandler: JobHandler, @unchecked Sendable {
        let queue = "scripted"
        let maxAttempts: Int
        let succeedOnAttempt: Int
        private let lock = NSLock()
        private var _attempts: [Int] = []
        private var _died: [String] = []
        var attempts: [Int] { self.lock.withLock { self._attempts } }
        var died: [String] { self.lock.withLock { self._died } }

        init(maxAttempts: Int, succeedOnAttempt: Int) {
            self.maxAttempts = maxAttempts
            self.succeedOnAttempt = succeedOnAttempt
        }

        func handle(_ job: Job, logger: Logger) async throws {
            self.lock.withLock { self._attempts.append(job.attempts) }
            struct Scripted: Error, CustomStringConvertible { let description: String }
            if job.attempts < self.succeedOnAttempt { throw Scripted(description: "scripted failure \(job.attempts)") }
        }

        func jobDied(_ job: Job, reason: String, logger: Logger) async {
            self.lock.withLock { self._died.append(reason) }
        }
    }

    static func runWorker(_ worker: JobWorker, until done: @escaping @Sendable () async throws -> Bool) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await worker.run() }
            // A few seconds alone; generous for a machine busy with the other suites.
            let deadline = ContinuousClock.now + .seconds(60)
            while try await !done() {
                guard ContinuousClock.now < deadline else {
                    Issue.record("worker did not finish in time")
                    break
                }
                try await Task.sleep(for: .milliseconds(20))
            }
            group.cancelAll()
        }
    }

    @Test("retries a failing job until it succeeds", arguments: DatabaseEngine.allCases)
    func retriesUntilSuccess(engine: DatabaseEngine) async throws {
        try await TestDatabase.with(engine, migrations: CoreMigrations.all) { database in
            let queue = JobQueue(
                database: database,
                leaseDuration: 5,
                backoff: Backoff(base: .milliseconds(10), cap: .milliseconds(50))
            )
            let handler = ScriptedHandler(maxAttempts: 5, succeedOnAttempt: 3)
            let id = try await queue.enqueue(queue: handler.queue, payload: ["x": 1], maxAttempts: handler.maxAttempts)
            let worker = JobWorker(
                queue: queue,
                handler: handler,
                pollInterval: .milliseconds(10),
                logger: TestDatabase.logger
            )
            try await Self.runWorker(worker) { try await queue.job(id: id)?.status == .succeeded }
            #expect(handler.attempts == [1, 2, 3])
            #expect(handler.died.isEmpty)
        }
    }

    @Test("buries a job after its last attempt and reports the reason", arguments: DatabaseEngine.allCases)
    func buries(engine: DatabaseEngine) async throws {
        try await TestDatabase.with(engine, migrations: CoreMigrations.all) { database in
            let queue = JobQueue(
                database: database,
                leaseDuration: 5,
                backoff: Backoff(base: .milliseconds(10), cap: .milliseconds(50))
            )
            let handler = ScriptedHandler(maxAttempts: 2, succeedOnAttempt: 99)
            let id = try await queue.enqueue(queue: handler.queue, payload: ["x": 1], maxAttempts: handler.maxAttempts)
            let worker = JobWorker(
                queue: queue,
                handler: handler,
                pollInterval: .milliseconds(10),
                logger: TestDatabase.logger
            )
            try await Self.runWorker(worker) { try await queue.job(id: id)?.status == .dead }
            #expect(handler.attempts == [1, 2])
            #expect(handler.died == ["scripted failure 2"])
            #expect(try await queue.job(id: id)?.lastError == "scripted failure 2")
        }
    }

    @Test("a job whose workers keep dying is buried, not run forever", arguments: DatabaseEngine.allCases)
    func abandonedTooOften(engine: DatabaseEngine) async throws {
        try await TestDatabase.with(engine, migrations: CoreMigrations.all) { database in
            let queue = JobQueue(database: database, leaseDuration: 0.05)
            let handler = ScriptedHandler(maxAttempts: 1, succeedOnAttempt: 1)
            let id = try await queue.enqueue(queue: handler.queue, payload: ["x": 1], maxAttempts: 1)
            // A worker claims it and dies (never reports back).
            _ = try #require(try await queue.claimRun(queue: handler.queue, workerID: "killed"))
            try await Task.sleep(for: .milliseconds(100))
            let worker = JobWorker(
                queue: queue,
                handler: handler,
                pollInterval: .milliseconds(10),
                logger: TestDatabase.logger
            )
            try await Self.runWorker(worker) { try await queue.job(id: id)?.status == .dead }
            #expect(handler.attempts.isEmpty)
            #expect(handler.died.count == 1)
        }
    }

    @Test("graceful shutdown hands the running job back")
    func shutdownReleases() async throws {
        try await TestDatabase.with(.sqlite, migrations: CoreMigrations.all) { database in
            let queue = JobQueue(database: database, leaseDuration: 30)
            struct SlowHandler: JobHandler {
                let queue = "slow"
                func handle(_ job: Job, logger: Logger) async throws { try await Task.sleep(for: .seconds(60)) }
            }
            let id = try await queue.enqueue(queue: "slow", payload: ["x": 1])
            let worker = JobWorker(
                queue: queue,
                handler: SlowHandler(),
                pollInterval: .milliseconds(10),
                logger: TestDatabase.logger
            )
            let group = ServiceGroup(services: [worker], logger: TestDatabase.logger)
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask { try await group.run() }
                while try await queue.job(id: id)?.status != .running { try await Task.sleep(for: .milliseconds(10)) }
                let started = ContinuousClock.now
                await group.triggerGracefulShutdown()
                try await tasks.waitForAll()
                #expect(ContinuousClock.now - started < .seconds(5))
            }
            let job = try #require(try await queue.job(id: id))
            #expect(job.status == .queued)
            #expect(job.attempts == 0)
        }
    }
}

extension JobQueue {
    /// A claim that must be runnable (the tests' jobs never exhaust their attempts by dying).
    func claimRun(queue: String, workerID: String, now: Date = Date()) async throws -> Job? {
        guard case .run(let job) = try await self.claim(queue: queue, workerID: workerID, now: now) else { return nil }
        return job
    }
}

@Suite("Job state machine")
struct JobStateMachineTests {
    typealias Machine = Job.StateMachine
    typealias Transition = Job.StateMachine.Transition
    static let backoff = Backoff(base: .seconds(5), cap: .seconds(60), jitter: .proportional(0.25))

    @Test func claimAndSucceed() {
        var machine = Machine(status: .queued, attempts: 0, maxAttempts: 3, backoff: Self.backoff)
        let claim1 = machine.apply(.claim(leaseExpired: false, lastError: nil))
        #expect(claim1 == .run(Transition(from: .queued, to: .running, attempts: 1)))
        #expect(machine.status == .running)
        let claim2 = machine.apply(.claim(leaseExpired: false, lastError: nil))
        #expect(claim2 == .reject(from: .running))
        let succeeded = machine.apply(.succeed)
        #expect(succeeded == .finish(Transition(from: .running, to: .succeeded, attempts: 1)))
        #expect(machine.status == .succeeded)
        let again = machine.apply(.succeed)
        #expect(again == .reject(from: .succeeded))
        let claim3 = machine.apply(.claim(leaseExpired: true, lastError: nil))
        #expect(claim3 == .reject(from: .succeeded))
    }

    @Test func failureRetriesThenGivesUp() {
        var machine = Machine(status: .queued, attempts: 0, maxAttempts: 2, backoff: Self.backoff)
        _ = machine.apply(.claim(leaseExpired: false, lastError: nil))
        let failure4 = machine.apply(.fail(reason: "e1", jitter: 0.5))
        #expect(
            failure4 == .retry(Transition(from: .running, to: .queued, attempts: 1), after: .seconds(5), reason: "e1")
        )
        #expect(machine.status == .queued)
        _ = machine.apply(.claim(leaseExpired: false, lastError: "e1"))
        let failure5 = machine.apply(.fail(reason: "e2", jitter: 0.5))
        #expect(failure5 == .bury(Transition(from: .running, to: .dead, attempts: 2), reason: "e2"))
        #expect(machine.status == .dead)
        let failure6 = machine.apply(.fail(reason: "e3", jitter: 0.5))
        #expect(failure6 == .reject(from: .dead))
    }

    @Test func expiredLeasesCountAsAttempts() {
        var machine = Machine(status: .running, attempts: 2, maxAttempts: 2, backoff: Self.backoff)
        let claim7 = machine.apply(.claim(leaseExpired: true, lastError: nil))
        #expect(
            claim7
                == .bury(
                    Transition(from: .running, to: .dead, attempts: 3),
                    reason: "the worker running it stopped 2 times"
                )
        )
        #expect(machine.attempts == 3)
        var withError = Machine(status: .running, attempts: 1, maxAttempts: 1, backoff: Self.backoff)
        #expect(
            withError.apply(.claim(leaseExpired: true, lastError: "out of memory"))
                == .bury(Transition(from: .running, to: .dead, attempts: 2), reason: "out of memory")
        )
    }

    @Test func releaseReturnsTheAttempt() {
        var machine = Machine(status: .running, attempts: 1, maxAttempts: 2, backoff: Self.backoff)
        let released = machine.apply(.release)
        #expect(released == .handBack(Transition(from: .running, to: .queued, attempts: 0)))
        #expect(machine.status == .queued)
        #expect(machine.attempts == 0)
    }

    /// Every state × event: which are allowed, and where they lead.
    @Test(arguments: JobStatus.allCases)
    func everyStateAndEvent(status: JobStatus) {
        let events: [Machine.Event] = [
            .claim(leaseExpired: false, lastError: nil), .claim(leaseExpired: true, lastError: nil),
            .succeed, .fail(reason: "x", jitter: 0.5), .release,
        ]
        for event in events {
            var machine = Machine(status: status, attempts: 1, maxAttempts: 3, backoff: Self.backoff)
            let action = machine.apply(event)
            let expected: Machine.Action
            switch (status, event) {
            case (.queued, .claim), (.running, .claim(leaseExpired: true, _)):
                expected = .run(Transition(from: status, to: .running, attempts: 2))
            case (.running, .succeed):
                expected = .finish(Transition(from: .running, to: .succeeded, attempts: 1))
            case (.running, .fail):
                expected = .retry(Transition(from: .running, to: .queued, attempts: 1), after: .seconds(5), reason: "x")
            case (.running, .release):
                expected = .handBack(Transition(from: .running, to: .queued, attempts: 0))
            default:
                expected = .reject(from: status)
            }
            #expect(action == expected, "\(status) × \(event)")
            if case .reject = action { #expect(machine.status == status) }
        }
    }

    @Test func backoffIsCappedAndJittered() {
        let backoff = Self.backoff
        #expect(backoff.delay(afterAttempt: 1, unit: 0.5) == .seconds(5))
        #expect(backoff.delay(afterAttempt: 4, unit: 0.5) == .seconds(40))
        #expect(backoff.delay(afterAttempt: 40, unit: 0.5) == .seconds(60))
        #expect(backoff.delay(afterAttempt: 1, unit: 1) == .seconds(6.25))
        #expect(backoff.delay(afterAttempt: 1, unit: 0) == .seconds(3.75))
        let full = Backoff(base: .seconds(2), cap: .seconds(10), jitter: .full)
        #expect(full.delay(afterAttempt: 3, unit: 1) == .seconds(8))
        #expect(full.delay(afterAttempt: 3, unit: 0) == .zero)
        #expect(Backoff(base: .seconds(2), cap: .seconds(10)).delay(afterAttempt: 9, unit: 0.1) == .seconds(10))
    }
}
