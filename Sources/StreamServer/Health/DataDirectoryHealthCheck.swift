import Foundation

/// The data directory (SQLite, upload spool, secrets) exists and takes a write.
struct DataDirectoryHealthCheck: HealthCheck {
    let directory: String
    var name: String { "data_dir" }

    func check() async -> HealthReport {
        let directory = self.directory
        return await measured {
            let probe = (directory as NSString).appendingPathComponent(".health-\(UUID().uuidString)")
            guard FileManager.default.createFile(atPath: probe, contents: Data("ok".utf8)) else {
                throw HealthError("data directory \(directory) is not writable")
            }
            try FileManager.default.removeItem(atPath: probe)
            var details = ["location": directory]
            if let attributes = try? FileManager.default.attributesOfFileSystem(forPath: directory),
                let free = attributes[.systemFreeSize] as? NSNumber
            {
                details["free_bytes"] = free.stringValue
            }
            return details
        }
    }
}

struct HealthError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
