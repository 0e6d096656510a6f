import Database
import Logging
import ServiceLifecycle

/// Runs ``UploadService/collectGarbage(now:batch:)`` periodically, so abandoned uploads cost
/// nothing: expired sessions' chunks, orphaned multipart uploads and spool folders are freed.
public struct UploadJanitor: Service {
    let uploads: UploadService
    let interval: Duration
    let readiness: ReadinessGate
    let logger: Logger

    /// - Parameters:
    ///   - uploads: The service whose garbage is collected.
    ///   - interval: Time between sweeps.
    ///   - readiness: Opens once the schema exists.
    public init(uploads: UploadService, interval: Duration = .seconds(600), readiness: ReadinessGate, logger: Logger) {
        self.uploads = uploads
        self.readiness = readiness
        self.interval = interval
        self.logger = logger
    }

    public func run() async throws {
        // Its tables may not exist until this process's migrations have run; a failed pass
        // (a database or store outage) is logged and the next one runs anyway.
        let loop = PeriodicLoop(
            interval: self.interval,
            readiness: self.readiness,
            logger: self.logger,
            failureMessage: "upload garbage collection failed"
        )
        await loop.run {
            let report = try await self.uploads.collectGarbage()
            if report != UploadService.GarbageReport() {
                self.logger.info(
                    "upload garbage collected",
                    metadata: [
                        "upload.expired": "\(report.expiredSessions)",
                        "upload.multipart_aborted": "\(report.abortedMultipartUploads)",
                        "upload.spool_removed": "\(report.removedSpoolFolders)",
                    ]
                )
            }
        }
    }
}
