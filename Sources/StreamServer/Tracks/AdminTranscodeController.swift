import Catalog
import Database
import Foundation
import Hummingbird
import Transcode

/// `POST /api/v1/tracks/{id}/transcode` (admins): queues new renditions for a ready or failed
/// track. A ready track stays `ready` and keeps playing its HLS tree until the new one is
/// complete, then switches to it in one guarded update and the old tree is deleted; a failed
/// re-transcode leaves the old tree and records `last_transcode_error` (see ``TranscodeJobHandler``).
struct AdminTranscodeController: Sendable {
    let database: DatabaseClient
    let tracks: TrackRepository
    let jobs: JobQueue
    let maxAttempts: Int
    /// The listening routes' rows, told at once when a re-transcode is queued here.
    var trackRows: TrackRowCache? = nil

    var endpoints: RouteCollection<AppRequestContext> {
        let routes = RouteCollection(context: AppRequestContext.self)
        routes.add(middleware: RequireIdentityMiddleware())
        routes.post(":id/transcode") { request, context in try await self.retranscode(request, context) }
        return routes
    }

    struct Queued: ResponseEncodable {
        let trackID: String
        let jobID: String
        let status: String

        enum CodingKeys: String, CodingKey {
            case trackID = "track_id"
            case jobID = "job_id"
            case status
        }
    }

    func retranscode(_ request: Request, _ context: AppRequestContext) async throws -> EditedResponse<Queued> {
        guard context.identity?.isAdmin == true else { throw APIError.forbidden("re-transcoding needs an admin token") }
        guard let id = context.parameters.get("id").flatMap(UUID.init(uuidString:)) else {
            throw APIError.notFound("no such track")
        }
        let tracks = self.tracks
        let jobs = self.jobs
        let maxAttempts = self.maxAttempts
        let (jobID, status): (UUID, TrackStatus) = try await self.database.transaction { connection in
            let track: Track
            do {
                track = try await tracks.apply(.transcodeRequested, to: id, on: connection)
            } catch let error as TrackError where error == .notFound {
                throw APIError.notFound("no such track")
            } catch let error as TrackError where error.isInvalidTransition {
                throw APIError(
                    .conflict,
                    code: "not_transcodable",
                    message: "only a ready or failed track can be transcoded again"
                )
            }
            let job = try await jobs.enqueue(
                queue: TranscodeJobPayload.queue,
                payload: TranscodeJobPayload(trackID: id),
                maxAttempts: maxAttempts,
                on: connection
            )
            return (job, track.status)
        }
        self.trackRows?.invalidate(id)
        return EditedResponse(
            status: .accepted,
            response: Queued(
                trackID: id.uuidString.lowercased(),
                jobID: jobID.uuidString.lowercased(),
                status: status.rawValue
            )
        )
    }
}
