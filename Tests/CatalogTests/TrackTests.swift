import Catalog
import Database
import Foundation
import TestSupport
import Testing

@Suite("Track state machine")
struct TrackStateMachineTests {
    typealias Event = Track.StateMachine.Event

    static let allowed: [(TrackStatus, Event, TrackStatus)] = [
        (.uploading, .uploadCompleted, .processing),
        (.processing, .transcodeSucceeded, .ready),
        (.processing, .transcodeFailed(reason: "no audio stream"), .failed),
        (.failed, .transcodeRequested, .processing),
        (.ready, .transcodeRequested, .processing),
    ]

    @Test func allowedTransitions() {
        for (from, event, to) in Self.allowed {
            var machine = Track.StateMachine(status: from)
            let action = machine.apply(event)
            let reason: String? = if case .transcodeFailed(let why) = event { why } else { nil }
            #expect(action == .transition(from: from, to: to, failureReason: reason), "\(from) + \(event)")
            #expect(machine.status == to)
        }
    }

    /// Events compared without their payload (any failure reason is the same transition).
    static func sameKind(_ a: Event, _ b: Event) -> Bool {
        switch (a, b) {
        case (.transcodeFailed, .transcodeFailed): true
        default: a == b
        }
    }

    @Test func everythingElseIsRejected() {
        let events: [Event] = [
            .uploadCompleted, .transcodeSucceeded, .transcodeFailed(reason: "x"), .transcodeRequested,
        ]
        for from in TrackStatus.allCases {
            for event in events where !Self.allowed.contains(where: { $0.0 == from && Self.sameKind($0.1, event) }) {
                var machine = Track.StateMachine(status: from)
                #expect(machine.apply(event) == .reject(from: from), "\(from) + \(event)")
                #expect(machine.status == from)
            }
        }
    }

    @Test func sourceKeys() {
        let owner = UUID(uuidString: "6F1C0C7E-5D1F-4A8E-9B1E-2F3A4B5C6D7E")!
        let track = UUID(uuidString: "0A1B2C3D-4E5F-4061-8293-A4B5C6D7E8F9")!
        #expect(
            Track.sourceKey(ownerID: owner, trackID: track, fileExtension: "WAV")
                == "tracks/6f1c0c7e-5d1f-4a8e-9b1e-2f3a4b5c6d7e/0a1b2c3d-4e5f-4061-8293-a4b5c6d7e8f9.wav"
        )
        #expect(Track.sourceKey(ownerID: owner, trackID: track, fileExtension: "../x").hasSuffix("e8f9.x"))
        #expect(Track.sourceKey(ownerID: owner, trackID: track, fileExtension: "").hasSuffix("e8f9"))
    }
}

@Suite("Track repository")
struct TrackRepositoryTests {
    static let migrations = CoreMigrations.all + CatalogMigrations.all

    static func sample(status: TrackStatus = .uploading) -> Track {
        let owner = UUID()
        let id = UUID()
        return Track(
            id: id,
            ownerID: owner,
            title: "Ünïcode – title",
            visibility: .private,
            status: status,
            storageBackend: .local,
            storageKey: Track.sourceKey(ownerID: owner, trackID: id, fileExtension: "flac"),
            sizeBytes: 5_000_000_000,
            sha256: String(repeating: "ab", count: 32),
            contentType: "audio/flac",
            createdAt: Date(timeIntervalSince1970: 1_800_000_000),
            updatedAt: Date(timeIntervalSince1970: 1_800_000_000)
        )
    }

    @Test("insert and find", arguments: DatabaseEngine.allCases)
    func roundTrip(engine: DatabaseEngine) async throws {
        try await TestDatabase.with(engine, migrations: Self.migrations) { database in
            let tracks = TrackRepository(database: database)
            let track = Self.sample()
            try await tracks.insert(track)
            #expect(try await tracks.find(id: track.id) == track)
            #expect(try await tracks.find(id: UUID()) == nil)
        }
    }

    @Test("status changes go through the state machine", arguments: DatabaseEngine.allCases)
    func lifecycle(engine: DatabaseEngine) async throws {
        try await TestDatabase.with(engine, migrations: Self.migrations) { database in
            let tracks = TrackRepository(database: database)
            let track = Self.sample()
            try await tracks.insert(track)
            #expect(try await tracks.apply(.uploadCompleted, to: track.id).status == .processing)
            let failed = try await tracks.apply(.transcodeFailed(reason: "no audio stream"), to: track.id)
            #expect(failed.status == .failed)
            #expect(failed.failureReason == "no audio stream")
            await #expect(throws: TrackError.self) { try await tracks.apply(.transcodeSucceeded, to: track.id) }
            #expect(try await tracks.apply(.transcodeRequested, to: track.id).status == .processing)
            let ready = try await tracks.apply(.transcodeSucceeded, to: track.id, durationMs: 3_000)
            #expect(ready.status == .ready)
            #expect(ready.failureReason == nil)
            #expect(ready.durationMs == 3_000)
            await #expect(throws: TrackError.notFound) { try await tracks.apply(.uploadCompleted, to: UUID()) }
        }
    }

    @Test("racing updates: exactly one wins", arguments: DatabaseEngine.allCases)
    func guardedUpdate(engine: DatabaseEngine) async throws {
        try await TestDatabase.with(engine, migrations: Self.migrations) { database in
            let tracks = TrackRepository(database: database)
            for _ in 0..<10 {
                let track = Self.sample(status: .processing)
                try await tracks.insert(track)
                let outcomes = await withTaskGroup(of: Bool.self) { group in
                    group.addTask { (try? await tracks.apply(.transcodeSucceeded, to: track.id)) != nil }
                    group.addTask { (try? await tracks.apply(.transcodeFailed(reason: "x"), to: track.id)) != nil }
                    return await group.reduce(into: [Bool]()) { $0.append($1) }
                }
                #expect(outcomes.filter { $0 }.count == 1)
            }
        }
    }

    @Test("the schema refuses impossible values", arguments: DatabaseEngine.allCases)
    func constraints(engine: DatabaseEngine) async throws {
        try await TestDatabase.with(engine, migrations: Self.migrations) { database in
            let tracks = TrackRepository(database: database)
            var track = Self.sample()
            track.sizeBytes = -1
            await #expect(throws: (any Error).self) { try await tracks.insert(track) }
        }
    }
}
