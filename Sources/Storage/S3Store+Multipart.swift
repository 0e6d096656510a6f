import Foundation

extension S3Store {
    public func createMultipartUpload(key: String, options: PutOptions) async throws -> MultipartUpload {
        try ObjectKey.validate(key)
        var headers: [(String, String)] = []
        if let contentType = options.contentType { headers.append(("content-type", contentType)) }
        // POST is not idempotent: a retry could leave an orphan upload behind.
        let (_, body) = try await self.sendCollecting(
            S3Operation(
                name: "CreateMultipartUpload",
                method: "POST",
                key: key,
                query: [("uploads", "")],
                headers: headers,
                isIdempotent: false
            )
        )
        guard let uploadID = try S3XML.parse(body).value("UploadId"), !uploadID.isEmpty else {
            throw StorageError.unexpectedResponse.with(message: "CreateMultipartUpload sent no UploadId.", key: key)
        }
        return MultipartUpload(key: key, uploadID: uploadID)
    }

    public func uploadPart(_ upload: MultipartUpload, partNumber: Int, body: ObjectBody) async throws -> CompletedPart {
        try ObjectKey.validate(upload.key)
        try MultipartLimits.validate(partNumber: partNumber)
        guard body.length != nil else {
            throw StorageError.invalidArgument.with(message: "A part needs a body of known length.", key: upload.key)
        }
        let response = try await self.send(
            S3Operation(
                name: "UploadPart",
                method: "PUT",
                key: upload.key,
                query: [("partNumber", String(partNumber)), ("uploadId", upload.uploadID)],
                body: body,
                isIdempotent: true,
                notFound: .noSuchUpload
            )
        )
        _ = try? await response.body.collect(upTo: S3XML.maximumBodySize)
        guard let etag = response.headers.first(name: "etag")?.unquotedETag else {
            throw StorageError.unexpectedResponse.with(message: "UploadPart sent no ETag.", key: upload.key)
        }
        return CompletedPart(partNumber: partNumber, etag: etag)
    }

    public func completeMultipartUpload(_ upload: MultipartUpload, parts: [CompletedPart]) async throws -> PutResult {
        try ObjectKey.validate(upload.key)
        guard !parts.isEmpty else {
            throw StorageError.invalidArgument.with(
                message: "A multipart upload needs at least one part.",
                key: upload.key
            )
        }
        let operation = S3Operation(
            name: "CompleteMultipartUpload",
            method: "POST",
            key: upload.key,
            query: [("uploadId", upload.uploadID)],
            headers: [("content-type", "application/xml")],
            body: .bytes(S3XML.completeMultipartUpload(parts)),
            isIdempotent: false,
            notFound: .noSuchUpload
        )
        let (response, body) = try await self.sendCollecting(operation)
        // S3 may answer 200 and then report a failure in the body.
        let document = try S3XML.parse(body)
        if document.name == "Error" {
            throw Self.error(
                status: Int(response.status.code),
                document: document,
                headerRequestID: response.headers.first(name: "x-amz-request-id"),
                operation: operation
            )
        }
        guard let etag = document.value("ETag")?.unquotedETag else {
            throw StorageError.unexpectedResponse.with(
                message: "CompleteMultipartUpload sent no ETag.",
                key: upload.key
            )
        }
        return PutResult(key: upload.key, etag: etag)
    }

    public func abortMultipartUpload(_ upload: MultipartUpload) async throws {
        try ObjectKey.validate(upload.key)
        do {
            let response = try await self.send(
                S3Operation(
                    name: "AbortMultipartUpload",
                    method: "DELETE",
                    key: upload.key,
                    query: [("uploadId", upload.uploadID)],
                    isIdempotent: true,
                    notFound: .noSuchUpload
                )
            )
            _ = try? await response.body.collect(upTo: S3XML.maximumBodySize)
        } catch let error as StorageError where error == .noSuchUpload {
            return
        }
    }

    public func listParts(_ upload: MultipartUpload) async throws -> [UploadedPart] {
        try ObjectKey.validate(upload.key)
        var parts: [UploadedPart] = []
        var marker: String? = nil
        repeat {
            var query = [("uploadId", upload.uploadID), ("max-parts", String(self.configuration.listPageSize))]
            if let marker { query.append(("part-number-marker", marker)) }
            let (_, body) = try await self.sendCollecting(
                S3Operation(
                    name: "ListParts",
                    method: "GET",
                    key: upload.key,
                    query: query,
                    isIdempotent: true,
                    notFound: .noSuchUpload
                )
            )
            let document = try S3XML.parse(body)
            for part in document.children("Part") {
                guard let number = part.value("PartNumber").flatMap({ Int($0) }),
                    let size = part.value("Size").flatMap({ Int64($0) })
                else {
                    throw StorageError.unexpectedResponse.with(message: "ListParts sent a part without number or size.")
                }
                parts.append(
                    UploadedPart(
                        partNumber: number,
                        etag: part.value("ETag")?.unquotedETag ?? "",
                        size: size,
                        lastModified: part.value("LastModified").flatMap(S3Date.parseISO8601)
                            ?? Date(timeIntervalSince1970: 0)
                    )
                )
            }
            let next = document.value("NextPartNumberMarker")
            marker = document.value("IsTruncated") == "true" && next != marker ? next : nil
        } while marker != nil
        return parts.sorted { $0.partNumber < $1.partNumber }
    }

    public func listMultipartUploads(prefix: String) async throws -> [MultipartUploadInfo] {
        try ObjectKey.validatePrefix(prefix)
        var uploads: [MultipartUploadInfo] = []
        var keyMarker: String? = nil
        var uploadIDMarker: String? = nil
        repeat {
            // Always full pages: SeaweedFS does not continue a listing after an upload-id marker.
            var query = [("uploads", ""), ("max-uploads", "1000")]
            if !prefix.isEmpty { query.append(("prefix", prefix)) }
            if let keyMarker { query.append(("key-marker", keyMarker)) }
            if let uploadIDMarker { query.append(("upload-id-marker", uploadIDMarker)) }
            let (_, body) = try await self.sendCollecting(
                S3Operation(name: "ListMultipartUploads", method: "GET", key: nil, query: query, isIdempotent: true)
            )
            let document = try S3XML.parse(body)
            for entry in document.children("Upload") {
                guard let key = entry.value("Key"), let uploadID = entry.value("UploadId") else { continue }
                // Some servers ignore the prefix; filter again.
                guard key.utf8.starts(with: prefix.utf8) else { continue }
                uploads.append(
                    MultipartUploadInfo(
                        upload: MultipartUpload(key: key, uploadID: uploadID),
                        initiated: entry.value("Initiated").flatMap(S3Date.parseISO8601)
                            ?? Date(timeIntervalSince1970: 0)
                    )
                )
            }
            // SeaweedFS sends NextUploadIdMarker without NextKeyMarker: fall back to the last entry.
            let entries = document.children("Upload")
            let nextKey =
                document.value("NextKeyMarker").flatMap { $0.isEmpty ? nil : $0 } ?? entries.last?.value("Key")
            let nextUploadID = document.value("NextUploadIdMarker") ?? entries.last?.value("UploadId")
            if document.value("IsTruncated") == "true", let nextKey,
                nextKey != keyMarker || nextUploadID != uploadIDMarker
            {
                keyMarker = nextKey
                uploadIDMarker = nextUploadID
            } else {
                keyMarker = nil
            }
        } while keyMarker != nil
        return uploads.sorted {
            $0.upload.key == $1.upload.key
                ? $0.initiated < $1.initiated : $0.upload.key.utf8.lexicographicallyPrecedes($1.upload.key.utf8)
        }
    }
}
