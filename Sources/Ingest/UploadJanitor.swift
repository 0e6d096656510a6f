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
        // Its tables may not exist until this process's migrations have run.
        guard await self.readiness.waitUnlessShuttingDown() else { return }
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            do {
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
            } catch {
                // The next pass retries; a database or store outage must not stop the service.
                self.logger.warning("upload garbage collection failed", metadata: ["error.message": "\(error)"])
            }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: self.interval) }
        }
    }
}
