import HTTPTypes
import Hummingbird
import Ingest

extension IngestError {
    /// The JSON error the API answers for this ingest error.
    var apiError: APIError {
        let status: HTTPResponse.Status =
            switch self.code {
            case IngestError.notFound.code: .notFound
            case IngestError.invalidArgument.code, IngestError.chunkLengthMismatch.code: .badRequest
            case IngestError.tooLarge.code, IngestError.chunkTooLarge.code: .contentTooLarge
            case IngestError.chunkChecksumMismatch.code, IngestError.checksumMismatch.code,
                IngestError.sizeMismatch.code:
                .unprocessableContent
            case IngestError.missingChunks.code, IngestError.assemblyInProgress.code, IngestError.invalidState.code,
                IngestError.offsetMismatch.code, IngestError.uploadBusy.code:
                .conflict
            // tus's own status for a checksum mismatch.
            case IngestError.segmentChecksumMismatch.code:
                HTTPResponse.Status(code: 460, reasonPhrase: "Checksum Mismatch")
            case IngestError.gone.code: .gone
            case IngestError.unsupportedMediaType.code: .unsupportedMediaType
            case IngestError.tooManySessions.code, IngestError.spoolQuotaExceeded.code: .tooManyRequests
            case IngestError.storeUnavailable.code: .serviceUnavailable
            default: .internalServerError
            }
        var headers: HTTPFields = [:]
        if let seconds = self.retryAfterSeconds { headers[.retryAfter] = String(seconds) }
        return APIError(status, code: self.code, message: self.message, headers: headers)
    }
}

/// Runs an upload operation, answering ``IngestError``s as JSON API errors.
func mappingIngestErrors<R>(_ body: () async throws -> R) async throws -> R {
    do {
        return try await body()
    } catch let error as IngestError {
        throw error.apiError
    }
}
