import Catalog
import Database
import Foundation
import TestSupport
import Testing

@Suite("Track state machine")
struct TrackStateMachineTests {
    typealias Event = Track.StateMachine.Event

    typealias Action = Track.StateMachine.Action

    /// Every allowed (status, event) pair, the action and the status after it.
    static let allowed: [(TrackStatus, Event, Action, TrackStatus)] = [
        (.processing, .transcodeSucceeded, .transition(from: .processing, to: .ready, failureReason: nil), .ready),
        (
            .processing, .transcodeFailed(reason: "no audio stream"),
            .transition(from: .processing, to: .failed, failureReason: "no audio stream"), .failed
        ),
        (.failed, .transcodeRequested, .transition(from: .failed, to: .processing, failureReason: nil), .processing),
        // A re-transcode never takes a ready track offline: it stays ready throughout.
        (.ready, .transcodeRequested, .accept, .ready),
        (.ready, .transcodeSucceeded, .switchOutputs, .ready),
        (.ready, .transcodeFailed(reason: "could not decode"), .recordTranscodeError("could not decode"), .ready),
    ]

    @Test func allowedTransitions() {
        for (from, event, action, to) in Self.allowed {
            var machine = Track.StateMachine(status: from)
            #expect(machine.apply(event) == action, "\(from) + \(event)")
            #expect(machine.status == to)
        }
    }

    @Test func noStateForUploads() {
        // An upload in progress is the upload session's; a track starts processing.
        #expect(TrackStatus.allCases == [.processing, .ready, .failed])
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
            .transcodeSucceeded, .transcodeFailed(reason: "x"), .transcodeRequested,
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

    static func sample(status: TrackStatus = .processing) -> Track {
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

    static func outputs(_ prefix: String) -> TrackOutputs {
        TrackOutputs(
            hlsPrefix: prefix,
            renditions: [
                .init(
                    name: "aac_64k",
                    bandwidth: 70_000,
                    averageBandwidth: 66_000,
                    codecs: "mp4a.40.2",
                    channels: 2,
                    sampleRate: 44_100
                )
            ],
            durationMs: 3_000,
            loudnessLUFS: -14,
            truePeakDBTP: -1,
            waveformKey: prefix + "waveform.json",
            streamKey: prefix + "stream.m4a"
        )
    }

    @Test("status changes go through the state machine", arguments: DatabaseEngine.allCases)
    func lifecycle(engine: DatabaseEngine) async throws {
        try await TestDatabase.with(engine, migrations: Self.migrations) { database in
            let tracks = TrackRepository(database: database)
            let track = Self.sample()
            try await tracks.insert(track)
            let failed = try await tracks.apply(.transcodeFailed(reason: "no audio stream"), to: track.id)
            #expect(failed.status == .failed)
            #expect(failed.failureReason == "no audio stream")
            await #expect(throws: TrackError.self) {
                try await tracks.markReady(track.id, outputs: Self.outputs("hls/a/"))
            }
            #expect(try await tracks.apply(.transcodeRequested, to: track.id).status == .processing)
            // A finished transcode needs its outputs.
            await #expect(throws: TrackError.missingOutputs) {
                try await tracks.apply(.transcodeSucceeded, to: track.id)
            }
            let (ready, previous) = try await tracks.markReady(track.id, outputs: Self.outputs("hls/a/"))
            #expect(ready.status == .ready)
            #expect(ready.failureReason == nil)
            #expect(ready.durationMs == 3_000)
            #expect(ready.hlsPrefix == "hls/a/")
            #expect(ready.streamKey == "hls/a/stream.m4a")
            #expect(ready.renditionList.map(\.name) == ["aac_64k"])
            #expect(previous == nil)
            await #expect(throws: TrackError.notFound) { try await tracks.apply(.transcodeRequested, to: UUID()) }
        }
    }

    @Test("a re-transcode keeps the track ready: switch, or record the error", arguments: DatabaseEngine.allCases)
    func retranscode(engine: DatabaseEngine) async throws {
        try await TestDatabase.with(engine, migrations: Self.migrations) { database in
            let tracks = TrackRepository(database: database)
            let track = Self.sample()
            try await tracks.insert(track)
            _ = try await tracks.markReady(track.id, outputs: Self.outputs("hls/a/"))
            let requested = try await tracks.apply(.transcodeRequested, to: track.id)
            #expect(requested.status == .ready)
            #expect(requested.hlsPrefix == "hls/a/")
            // A failed re-transcode: still ready on the old tree, with the reason recorded.
            let kept = try await tracks.apply(.transcodeFailed(reason: "could not decode"), to: track.id)
            #expect(kept.status == .ready)
            #expect(kept.hlsPrefix == "hls/a/")
            #expect(kept.lastTranscodeError == "could not decode")
            #expect(kept.failureReason == nil)
            // A successful one switches the tree in one update, clears the error, names the old tree.
            let (switched, previous) = try await tracks.markReady(track.id, outputs: Self.outputs("hls/b/"))
            #expect(switched.status == .ready)
            #expect(switched.hlsPrefix == "hls/b/")
            #expect(switched.lastTranscodeError == nil)
            #expect(previous == "hls/a/")
            #expect(try await tracks.find(id: track.id) == switched)
        }
    }

    @Test(
        "two re-transcodes finishing together: both switch in turn, each names the tree it replaced",
        arguments: DatabaseEngine.allCases
    )
    func racingSwitches(engine: DatabaseEngine) async throws {
        try await TestDatabase.with(engine, migrations: Self.migrations) { database in
            let tracks = TrackRepository(database: database)
            let track = Self.sample()
            try await tracks.insert(track)
            _ = try await tracks.markReady(track.id, outputs: Self.outputs("hls/a/"))
            let replaced = await withTaskGroup(of: String??.self) { group in
                for name in ["b", "c"] {
                    group.addTask { (try? await tracks.markReady(track.id, outputs: Self.outputs("hls/\(name)/")))?.1 }
                }
                return await group.reduce(into: [String?]()) { if let prefix = $1 { $0.append(prefix) } }
            }
            let final = try #require(try await tracks.find(id: track.id)?.hlsPrefix)
            // Whatever the interleaving: "a" is replaced exactly once, and no tree is lost track of
            // (every prefix but the final one was handed back for deletion, or its switch failed).
            #expect(replaced.filter { $0 == "hls/a/" }.count == 1)
            #expect(!replaced.contains(final))
            #expect(["hls/b/", "hls/c/"].contains(final))
        }
    }

    @Test("racing updates: exactly one wins", arguments: DatabaseEngine.allCases)
    func guardedUpdate(engine: DatabaseEngine) async throws {
        try await TestDatabase.with(engine, migrations: Self.migrations) { database in
            let tracks = TrackRepository(database: database)
            for _ in 0..<10 {
                // Two admins ask to re-transcode a failed track at once: one moves it to processing.
                let track = Self.sample(status: .failed)
                try await tracks.insert(track)
                let outcomes = await withTaskGroup(of: Bool.self) { group in
                    for _ in 0..<2 {
                        group.addTask { (try? await tracks.apply(.transcodeRequested, to: track.id)) != nil }
                    }
                    return await group.reduce(into: [Bool]()) { $0.append($1) }
                }
                #expect(outcomes.filter { $0 }.count == 1)
                #expect(try await tracks.find(id: track.id)?.status == .processing)
                // A success and a failure reported together: the track ends ready or failed, never both.
                let racing = Self.sample(status: .processing)
                try await tracks.insert(racing)
                await withTaskGroup(of: Void.self) { group in
                    group.addTask { _ = try? await tracks.markReady(racing.id, outputs: Self.outputs("hls/x/")) }
                    group.addTask { _ = try? await tracks.apply(.transcodeFailed(reason: "x"), to: racing.id) }
                }
                let final = try #require(try await tracks.find(id: racing.id))
                if final.status == .ready {
                    // The failure came second: recorded, tree kept.
                    #expect(final.hlsPrefix == "hls/x/" && final.failureReason == nil)
                } else {
                    #expect(final.status == .failed && final.hlsPrefix == nil && final.failureReason == "x")
                }
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
