import Foundation

/// What a finished output file holds: bytes in memory, or a file on local disk.
public enum HLSFileContents: Sendable {
    case bytes(Data)
    case file(URL)
}

/// Receives the files of an HLS tree as each is finished: the init segment and
/// media segments while encoding runs, then the media playlists, `waveform.json`
/// and, last, `master.m3u8`. Paths are relative ("aac_128k/seg_00001.m4s").
/// An object-store sink uploads each under its track's prefix.
public protocol HLSOutputSink: Sendable {
    func write(relativePath: String, contents: HLSFileContents) async throws
}

extension HLSFileContents {
    /// The MIME type to store a file of the HLS tree with, from its extension.
    public static func contentType(forPath path: String) -> String {
        switch (path as NSString).pathExtension.lowercased() {
        case "m3u8": "application/vnd.apple.mpegurl"
        case "mp4", "m4s", "m4a": "audio/mp4"
        case "json": "application/json"
        default: "application/octet-stream"
        }
    }
}

/// Writes the HLS tree under a local directory, creating subdirectories as needed.
/// Each file is written to a temporary name and renamed, so a reader never sees half a file.
public struct DirectorySink: HLSOutputSink {
    public let root: URL

    public init(root: URL) {
        self.root = root
    }

    public func write(relativePath: String, contents: HLSFileContents) async throws {
        let destination = root.appendingPathComponent(relativePath)
        let fileManager = FileManager.default
        try fileManager.createDirectory(
            at: destination.deletingLastPathComponent(),
            withIntermediateDirectories: true
        )
        let temporary = destination.deletingLastPathComponent()
            .appendingPathComponent(".\(destination.lastPathComponent).\(UUID().uuidString).tmp")
        switch contents {
        case .bytes(let data):
            try data.write(to: temporary)
        case .file(let url):
            try fileManager.copyItem(at: url, to: temporary)
        }
        if fileManager.fileExists(atPath: destination.path) {
            _ = try fileManager.replaceItemAt(destination, withItemAt: temporary)
        } else {
            try fileManager.moveItem(at: temporary, to: destination)
        }
    }
}
