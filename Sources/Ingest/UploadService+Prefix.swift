import Catalog
import Foundation
import ServiceLifecycle
import Storage

extension UploadService {
    /// The service that feeds uploads' prefixes into the store while their chunks arrive; add it
    /// to the process's `ServiceGroup` (without it, `complete` assembles everything from the spool).
    public var prefixAssemblyService: some Service { PrefixAssemblyService(uploads: self) }

    /// The store's upload this driver started.
    private enum PrefixSink {
        case multipart(MultipartUpload)
        case stream(BoundedPipe, put: Task<Void, any Error>)
    }

    /// Drives one upload's ``PrefixAssembly`` under its ``AssemblerLease``, until `complete` takes
    /// it over, the upload ends, or nothing arrives for ``IngestConfiguration/prefixIdleTimeout``.
    func drivePrefix(_ uploadID: UUID) async {
        var handover: PrefixHandover? = nil
        do {
            handover = try await self.leasedPrefix(uploadID)
        } catch {
            if !Task.isCancelled {
                self.logger.warning(
                    "upload prefix assembly stopped",
                    metadata: ["upload.id": "\(uploadID.uuidString.lowercased())", "error.message": "\(error)"]
                )
            }
        }
        self.prefixes.finished(uploadID, handover: handover)
    }

    private func leasedPrefix(_ uploadID: UUID) async throws -> PrefixHandover? {
        guard let session = try await self.sessions.find(id: uploadID), session.status == .receiving,
            self.configuration.backend == .local || self.assembler.usesMultipart(size: session.declaredSize)
        else { return nil }
        let now = Date()
        let ttl = self.configuration.assemblerLeaseTTL
        guard
            let lease = try await self.leases.acquire(uploadID: uploadID, now: now, until: now.addingTimeInterval(ttl))
        else { return nil }
        do {
            let handover = try await self.feedPrefix(session, lease: lease)
            await self.leases.release(lease)
            return handover
        } catch {
            // A cancelled driver stops where it is, as a killed process would.
            if !Task.isCancelled { await self.leases.release(lease) }
            throw error
        }
    }

    private func feedPrefix(_ session: UploadSession, lease: AssemblerLease) async throws -> PrefixHandover? {
        let uploadID = session.id
        let assembler = self.assembler
        let multipart = self.configuration.backend == .s3
        var machine = PrefixAssembly(
            declaredSize: session.declaredSize,
            partSize: multipart ? self.configuration.partSize : nil
        )
        let ttl = self.configuration.assemblerLeaseTTL
        return try await withThrowingTaskGroup(of: CompletedPart.self, returning: PrefixHandover?.self) { group in
            var reader = SpoolReader(paths: (0..<session.totalChunks).map { self.spool.path(for: uploadID, index: $0) })
            var sink: PrefixSink? = nil
            var target: (trackID: UUID, key: String, contentType: String)? = nil
            var completed: [CompletedPart] = []
            var launched = 0
            var contiguousChunks = 0
            var contiguousBytes: Int64 = 0
            var renewedAt = Date()
            var progressedAt = Date()
            do {
                while true {
                    if self.prefixes.takeRequested(uploadID) {
                        guard case .handOver(let fed) = machine.apply(.take), let sink, let target else {
                            return nil
                        }
                        let handed: PrefixHandover.Sink
                        switch sink {
                        case .multipart(let upload):
                            while let done = try await group.next() { completed.append(done) }
                            handed = .multipart(upload, parts: completed.sorted { $0.partNumber < $1.partNumber })
                        case .stream(let pipe, let put):
                            handed = .stream(pipe, put: put)
                        }
                        let identities = Dictionary(uniqueKeysWithValues: reader.opened.enumerated().map { ($0, $1) })
                        return PrefixHandover(
                            trackID: target.trackID,
                            key: target.key,
                            contentType: target.contentType,
                            fed: fed,
                            hasher: reader.hasher,
                            identities: identities,
                            sink: handed
                        )
                    }
                    // Read before looking, so a chunk landing after the look wakes the wait below.
                    let wakesBeforeScan = self.prefixes.wakes(uploadID)
                    while contiguousChunks < session.totalChunks,
                        self.spool.size(uploadID: uploadID, index: contiguousChunks)
                            == session.expectedLength(ofChunk: contiguousChunks)
                    {
                        contiguousBytes += session.expectedLength(ofChunk: contiguousChunks)
                        contiguousChunks += 1
                        progressedAt = Date()
                    }
                    self.prefixes.scanned(
                        uploadID,
                        wakes: wakesBeforeScan,
                        reach: machine.reach(withPrefix: contiguousBytes)
                    )
                    switch machine.apply(.prefixGrew(to: contiguousBytes)) {
                    case .start:
                        guard let format = try self.sniffSpooled(session) else {
                            _ = machine.apply(.startFailed)
                            // Enough bytes and still no format: not audio, `complete` will say so.
                            if contiguousBytes == session.declaredSize || contiguousBytes >= 1024 * 1024 {
                                _ = machine.apply(.stop)
                                return nil
                            }
                            try await self.waitForWake(uploadID, seen: wakesBeforeScan)
                            continue
                        }
                        let trackID = UUID()
                        let (key, contentType) = self.assemblyTarget(session, format: format, trackID: trackID)
                        target = (trackID, key, contentType)
                        // Before the record, so that `complete` listing the records sees the key as live.
                        self.prefixes.started(uploadID, key: key)
                        let options = PutOptions(contentType: contentType)
                        if multipart {
                            try await self.pendingAborts.record(
                                uploadID: uploadID,
                                key: key,
                                now: Date(),
                                nextAttemptAt: Date().addingTimeInterval(ttl)
                            )
                            let upload = try await self.store.createMultipartUpload(key: key, options: options)
                            sink = .multipart(upload)
                            try await self.pendingAborts.setMultipartUploadID(upload.uploadID, key: key)
                        } else {
                            let (pipe, put) = assembler.startStream(
                                key: key,
                                size: session.declaredSize,
                                options: options
                            )
                            sink = .stream(pipe, put: put)
                        }
                        if case .abandon = machine.apply(.started) { throw CancellationError() }
                    case .send(let offset, let length):
                        switch sink {
                        case .multipart(let upload):
                            if launched - completed.count >= self.configuration.partConcurrency,
                                let done = try await group.next()
                            {
                                completed.append(done)
                            }
                            launched += 1
                            try await assembler.sendPart(
                                launched,
                                of: upload,
                                length: length,
                                from: &reader,
                                expectedSize: session.declaredSize,
                                in: &group
                            )
                        case .stream(let pipe, _):
                            try await assembler.feed(
                                length,
                                from: &reader,
                                into: pipe,
                                expectedSize: session.declaredSize
                            )
                        case nil:
                            throw CancellationError()
                        }
                        self.prefixes.sent(uploadID, upTo: offset + length)
                    case .wait:
                        let now = Date()
                        if now.timeIntervalSince(renewedAt) >= ttl / 3 {
                            let current = try await self.sessions.find(id: uploadID)
                            guard current?.status == .receiving || current?.status == .assembling,
                                try await self.leases.renew(lease, until: now.addingTimeInterval(ttl))
                            else { throw IngestError.uploadBusy }
                            if let target, multipart {
                                try await self.pendingAborts.postpone(
                                    key: target.key,
                                    until: now.addingTimeInterval(ttl)
                                )
                            }
                            renewedAt = now
                        }
                        if now.timeIntervalSince(progressedAt) >= self.configuration.prefixIdleTimeout
                            || Task.isShuttingDownGracefully
                        {
                            throw CancellationError()
                        }
                        try await self.waitForWake(uploadID, seen: wakesBeforeScan)
                    case .handOver, .abandon, .none:
                        return nil
                    }
                }
            } catch {
                _ = machine.apply(.stop)
                // A cancelled task is a killed process: it leaves what it stored for the next `complete`.
                guard !Task.isCancelled || Task.isShuttingDownGracefully else { throw error }
                group.cancelAll()
                while (try? await group.next()) != nil {}
                switch sink {
                case .multipart(let upload):
                    await assembler.abandonRecorded(upload, uploadID: uploadID)
                case .stream(let pipe, let put):
                    await pipe.cancel(error)
                    try? await put.value
                case nil:
                    break
                }
                if error is CancellationError { return nil }
                throw error
            }
        }
    }

    /// Sleeps until a chunk lands or `complete` asks (the wake count changes), or for
    /// ``IngestConfiguration/prefixPollInterval`` (chunks written by other nodes are seen on disk).
    private func waitForWake(_ uploadID: UUID, seen: Int) async throws {
        await self.prefixes.waitForWake(uploadID, seen: seen, timeout: self.configuration.prefixPollInterval)
        try Task.checkCancellation()
    }

    /// The object key and content type of the track an upload of `format` becomes.
    func assemblyTarget(
        _ session: UploadSession,
        format: AudioSniffer.Format,
        trackID: UUID
    ) -> (key: String, contentType: String) {
        let key = Track.sourceKey(
            ownerID: session.ownerID,
            trackID: trackID,
            fileExtension: session.fileExtension ?? format.fileExtension
        )
        let contentType =
            session.contentType.flatMap { $0.lowercased().hasPrefix("audio/") ? $0 : nil }
            ?? format.contentType
        return (key, contentType)
    }

    /// Whether `complete` can go on from `handover`: every chunk file it read is still the same file.
    func isCurrent(_ handover: PrefixHandover, _ session: UploadSession) -> Bool {
        guard handover.fed <= session.declaredSize else { return false }
        return handover.identities.allSatisfy { index, identity in
            identity != nil && FileIdentity(path: self.spool.path(for: session.id, index: index)) == identity
        }
    }

    /// Frees what a hand-over holds that `complete` will not use.
    func discard(_ handover: PrefixHandover, uploadID: UUID) async {
        switch handover.sink {
        case .multipart(let upload, _):
            await self.assembler.abandonRecorded(upload, uploadID: uploadID)
        case .stream(let pipe, let put):
            await pipe.cancel(CancellationError())
            try? await put.value
        }
    }
}
