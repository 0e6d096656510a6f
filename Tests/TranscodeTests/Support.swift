import Foundation
import Logging
import Testing

@testable import Transcode

/// Where the audio fixtures are: `VEZA_FIXTURES_DIR`, else `fixtures/audio` at the repo root
/// (found from this file, through symlinks).
enum Fixtures {
    static let directory: URL = {
        if let override = ProcessInfo.processInfo.environment["VEZA_FIXTURES_DIR"] {
            return URL(fileURLWithPath: override)
        }
        return URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("fixtures/audio")
    }()

    /// Every playable fixture (not the ones under corrupt/).
    static let playable: [String] = {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        let audio: Set<String> = ["mp3", "flac", "wav", "ogg", "m4a", "aac", "opus"]
        return names.filter { audio.contains(($0 as NSString).pathExtension.lowercased()) }.sorted()
    }()

    static func path(_ name: String) -> String { directory.appendingPathComponent(name).path }
}

/// A fresh directory under the system temp dir, removed by `remove()`.
struct TemporaryDirectory {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("veza-transcode-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    func remove() { try? FileManager.default.removeItem(at: url) }
}

/// Runs a command-line tool (ffmpeg, ffprobe) and returns its output.
struct Tool {
    struct Output {
        let status: Int32
        let stdout: Data
        let stderr: String
    }

    static func run(_ executable: String, _ arguments: [String]) throws -> Output {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [executable] + arguments
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        // Read both pipes concurrently so neither fills up and blocks the tool.
        let errorData = LockedData()
        let reader = Thread { errorData.set(err.fileHandleForReading.readDataToEndOfFile()) }
        reader.start()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        while !errorData.isSet { usleep(1000) }
        return Output(
            status: process.terminationStatus,
            stdout: stdout,
            stderr: String(decoding: errorData.value, as: UTF8.self)
        )
    }

    /// Samples ffmpeg decodes from `input` (mono 16-bit at `sampleRate`), with `extra` options
    /// before the input and `filters` applied.
    static func decodedSamples(
        _ input: String,
        map: String? = nil,
        sampleRate: Int,
        copyTimestamps: Bool = false,
        filter: String? = nil
    ) throws -> Int {
        var arguments = ["-v", "error", "-nostdin"]
        if copyTimestamps { arguments.append("-copyts") }
        arguments += ["-i", input]
        if let map { arguments += ["-map", map] }
        if let filter { arguments += ["-af", filter] }
        arguments += ["-ac", "1", "-ar", "\(sampleRate)", "-f", "s16le", "-"]
        let output = try run("ffmpeg", arguments)
        guard output.status == 0, output.stderr.isEmpty else {
            throw ToolFailure(message: "ffmpeg \(arguments.joined(separator: " ")): \(output.stderr)")
        }
        return output.stdout.count / 2
    }

    /// Integrated loudness as ffmpeg's ebur128 filter reports it ("I: -11.4 LUFS").
    static func ebur128Integrated(_ input: String) throws -> Double {
        let output = try run("ffmpeg", ["-nostats", "-nostdin", "-i", input, "-af", "ebur128", "-f", "null", "-"])
        let summary = output.stderr.components(separatedBy: "Summary:").last ?? ""
        for line in summary.split(separator: "\n") {
            let fields = line.split(separator: " ")
            if fields.first == "I:", fields.count >= 2, let value = Double(fields[1]) { return value }
        }
        throw ToolFailure(message: "no integrated loudness in ebur128 output")
    }
}

struct ToolFailure: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}

final class LockedData: @unchecked Sendable {
    private let lock = NSLock()
    private var data: Data?
    func set(_ value: Data) { lock.withLock { data = value } }
    var isSet: Bool { lock.withLock { data != nil } }
    var value: Data { lock.withLock { data ?? Data() } }
}

/// A quiet logger for tests.
let testLogger: Logger = {
    var logger = Logger(label: "veza.transcode.tests")
    logger.logLevel = .error
    return logger
}()

/// Generates a source file with ffmpeg's lavfi (e.g. "sine=frequency=440:duration=14").
func makeSource(_ lavfi: String, in directory: URL, name: String, options: [String] = []) throws -> String {
    let path = directory.appendingPathComponent(name).path
    let output = try Tool.run(
        "ffmpeg",
        ["-v", "error", "-nostdin", "-y", "-f", "lavfi", "-i", lavfi] + options + [path]
    )
    guard output.status == 0 else { throw ToolFailure(message: output.stderr) }
    return path
}
