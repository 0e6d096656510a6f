import ArgumentParser
import Crypto
import Foundation
import NIOCore
import Retry
import SignedURL
import Storage

/// Uploads an object through ``S3Store`` in parts, downloads it streaming, checks its SHA-256, and
/// reports throughput and the process's memory against its idle footprint.
struct StoreRoundTrip: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "store-roundtrip",
        abstract: "Upload then download an object through S3Store; print MiB/s and peak RSS.",
        discussion: """
            Connection settings default to S3_ENDPOINT, S3_REGION, S3_ACCESS_KEY_ID and \
            S3_SECRET_ACCESS_KEY, then to the VEZA_TEST_S3_* variables of scripts/services.sh.
            The last line is `RESULT {json}` for scripts.
            """
    )

    @Option(help: "Object size in MiB (ignored with --file).") var sizeMib: Int = 1024
    @Option(help: "Upload this file instead of generated data.") var file: String?
    @Option(help: "Seed of the generated data.") var seed: UInt64 = 42
    @Option(help: "Bucket (created when missing).") var bucket: String
    @Option(help: "Object key.") var key: String = "bench/roundtrip.bin"
    @Option(help: "Part size in MiB.") var partSizeMib: Int = 10
    @Option(help: "Parts in flight.") var concurrency: Int = 3
    @Option(help: "S3 endpoint URL.") var endpoint: String?
    @Option(help: "S3 region.") var region: String?
    @Option(help: "Access key id.") var accessKeyId: String?
    @Option(help: "Secret access key.") var secretAccessKey: String?
    @Flag(help: "Keep the object afterwards.") var keep = false

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        func setting(_ value: String?, _ names: String...) throws -> String {
            if let value { return value }
            for name in names { if let found = environment[name], !found.isEmpty { return found } }
            throw ValidationError("set --\(names[0].lowercased()) or \(names.joined(separator: " or "))")
        }
        let store = try S3Store(
            configuration: .init(
                endpoint: try setting(self.endpoint, "S3_ENDPOINT", "VEZA_TEST_S3_ENDPOINT"),
                region: (try? setting(self.region, "S3_REGION", "VEZA_TEST_S3_REGION")) ?? "us-east-1",
                bucket: self.bucket,
                credentials: AWSCredentials(
                    accessKeyID: try setting(self.accessKeyId, "S3_ACCESS_KEY_ID", "VEZA_TEST_S3_ACCESS_KEY_ID"),
                    secretAccessKey: try setting(
                        self.secretAccessKey,
                        "S3_SECRET_ACCESS_KEY",
                        "VEZA_TEST_S3_SECRET_ACCESS_KEY"
                    )
                )
            )
        )
        do {
            try await self.roundTrip(store)
            try await store.shutdown()
        } catch {
            try? await store.shutdown()
            throw error
        }
    }

    private func roundTrip(_ store: S3Store) async throws {
        try await store.createBucketIfNeeded()
        try await store.checkHealth()

        // Upload. A file is hashed first, outside the timing (as the boto3 script does);
        // generated data is hashed as the parts go out.
        let source = Digester()
        let body: ObjectBody
        if let file = self.file {
            for try await chunk in try await ObjectBody.file(atPath: file).byteStream { source.update(chunk) }
            body = try await .file(atPath: file)
        } else {
            let size = Int64(self.sizeMib) << 20
            let data = DeterministicData(size: size, seed: self.seed, chunkSize: 1 << 20)
            body = .stream(DigestingSequence(base: data, digester: source), length: size)
        }
        let idle = ProcessMemory.residentBytes
        let idlePeak = ProcessMemory.peakResidentBytes
        let uploadStart = ContinuousClock.now
        let put = try await store.uploadInParts(
            key: self.key,
            body: body,
            partSize: self.partSizeMib << 20,
            concurrency: self.concurrency,
            options: PutOptions(contentType: "application/octet-stream")
        )
        let uploadSeconds = (ContinuousClock.now - uploadStart).seconds
        let peakAfterUpload = ProcessMemory.peakResidentBytes

        // Download, streaming.
        let downloaded = Digester()
        let downloadStart = ContinuousClock.now
        let response = try await store.get(key: self.key)
        for try await chunk in response.body { downloaded.update(chunk) }
        let downloadSeconds = (ContinuousClock.now - downloadStart).seconds
        let peak = ProcessMemory.peakResidentBytes

        if !self.keep { try await store.delete(key: self.key) }
        let size = source.count
        let matches = downloaded.count == size && downloaded.hex() == source.hex()
        let mebibytes = Double(size) / 1_048_576
        print("object      \(self.key): \(Int64(size).mebibytes) MiB, ETag \(put.etag)")
        print(
            "sha256      \(source.hex()) \(matches ? "matches" : "DIFFERS (\(downloaded.hex()), \(downloaded.count) bytes)")"
        )
        print(
            "upload      \(String(format: "%.1f", mebibytes / uploadSeconds)) MiB/s (\(self.partSizeMib) MiB parts, \(self.concurrency) in flight)"
        )
        print("download    \(String(format: "%.1f", mebibytes / downloadSeconds)) MiB/s")
        print("rss idle    \(idle.mebibytes) MiB (peak before transfer \(idlePeak.mebibytes) MiB)")
        print(
            "rss peak    \(peak.mebibytes) MiB (after upload \(peakAfterUpload.mebibytes) MiB), \((peak - idle).mebibytes) MiB over idle"
        )
        let result: [String: Any] = [
            "tool": "veza-bench (S3Store)", "bytes": size, "sha256_ok": matches,
            "upload_mib_s": mebibytes / uploadSeconds, "download_mib_s": mebibytes / downloadSeconds,
            "idle_rss_bytes": idle, "peak_rss_bytes": peak, "rss_over_idle_bytes": peak - idle,
        ]
        let json = try JSONSerialization.data(withJSONObject: result, options: [.sortedKeys])
        print("RESULT " + String(decoding: json, as: UTF8.self))
        if !matches { throw ExitCode.failure }
    }
}
