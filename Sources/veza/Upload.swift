import ArgumentParser
import AsyncHTTPClient
import Foundation
import VezaClient

#if canImport(Glibc)
import Glibc
#endif

/// `veza upload FILE`: a resumable chunked upload through the chunk API.
struct UploadCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "upload",
        abstract: "Upload an audio file in resumable chunks; prints the track id on the last line.",
        discussion: """
            Sends chunks with a few in flight, retries with backoff, and resumes an interrupted upload of \
            the same file (the session id is kept in $VEZA_DATA_DIR/upload-sessions.json). A progress bar \
            with throughput and ETA is drawn on a terminal; plain lines otherwise.
            """
    )

    @Argument(help: "The audio file.")
    var file: String

    @Option(help: "The server's base URL.")
    var server: String = ProcessInfo.processInfo.environment["VEZA_SERVER"] ?? "http://localhost:8080"

    @Option(help: "A bearer token (default: $VEZA_TOKEN).")
    var token: String?

    @Option(help: "The track title (default: the file name).")
    var title: String?

    @Option(help: "Chunks in flight at once.")
    var concurrency: Int = 3

    func validate() throws {
        guard FileManager.default.isReadableFile(atPath: self.file) else {
            throw ValidationError("cannot read '\(self.file)'")
        }
        guard self.token ?? ProcessInfo.processInfo.environment["VEZA_TOKEN"] != nil else {
            throw ValidationError("pass --token or set VEZA_TOKEN (mint one with `veza token --user UUID`)")
        }
        guard (1...16).contains(self.concurrency) else { throw ValidationError("--concurrency must be 1 to 16") }
    }

    func run() async throws {
        let dataDirectory = ProcessInfo.processInfo.environment["VEZA_DATA_DIR"] ?? "./data"
        var options = UploadClient.Options(
            server: self.server,
            token: self.token ?? ProcessInfo.processInfo.environment["VEZA_TOKEN"] ?? "",
            title: self.title,
            stateFile: (dataDirectory as NSString).appendingPathComponent("upload-sessions.json")
        )
        options.concurrency = self.concurrency
        let httpClient = HTTPClient(eventLoopGroupProvider: .singleton)
        let display = ProgressDisplay(interactive: isatty(STDERR_FILENO) == 1)
        do {
            let trackID = try await UploadClient(httpClient: httpClient, options: options).upload(file: self.file) {
                display.show($0)
            }
            display.finish()
            try? await httpClient.shutdown()
            print(trackID)
        } catch {
            display.finish()
            try? await httpClient.shutdown()
            FileHandle.standardError.write(Data("veza upload: \(error)\n".utf8))
            throw ExitCode.failure
        }
    }
}

/// Draws progress on standard error: a bar with throughput and ETA on a terminal, a line per
/// 10 % otherwise.
final class ProgressDisplay: @unchecked Sendable {
    private let interactive: Bool
    private let started = Date()
    private let lock = NSLock()
    private var lastDecile = -1

    init(interactive: Bool) {
        self.interactive = interactive
    }

    func show(_ progress: UploadClient.Progress) {
        self.lock.withLock {
            let total = max(progress.totalBytes, 1)
            let fraction = Double(progress.sentBytes) / Double(total)
            let elapsed = max(Date().timeIntervalSince(self.started), 0.001)
            let rate = Double(progress.sentBytes - progress.resumedBytes) / elapsed
            let remaining = rate > 0 ? Double(progress.totalBytes - progress.sentBytes) / rate : 0
            let mib = rate / 1_048_576
            if self.interactive {
                let width = 30
                let filled = Int(fraction * Double(width))
                let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
                let line =
                    "\r[\(bar)] "
                    + String(
                        format: "%3d%%  %.1f MiB/s  ETA %d:%02d ",
                        Int(fraction * 100),
                        mib,
                        Int(remaining) / 60,
                        Int(remaining) % 60
                    )
                FileHandle.standardError.write(Data(line.utf8))
            } else {
                let decile = Int(fraction * 10)
                guard decile != self.lastDecile else { return }
                self.lastDecile = decile
                let line = String(
                    format: "uploaded %d of %d bytes (%d%%), %.1f MiB/s\n",
                    progress.sentBytes,
                    progress.totalBytes,
                    Int(fraction * 100),
                    mib
                )
                FileHandle.standardError.write(Data(line.utf8))
            }
        }
    }

    func finish() {
        if self.interactive { FileHandle.standardError.write(Data("\n".utf8)) }
    }
}
