import Foundation

/// The process's memory as the kernel reports it in `/proc/self/status`.
enum ProcessMemory {
    /// The resident set size now, in bytes (`VmRSS`).
    static var residentBytes: Int64 { self.field("VmRSS") }

    /// The peak resident set size so far, in bytes (`VmHWM`).
    static var peakResidentBytes: Int64 { self.field("VmHWM") }

    private static func field(_ name: String) -> Int64 {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return -1 }
        for line in status.split(separator: "\n") where line.hasPrefix(name + ":") {
            let kibibytes = line.dropFirst(name.count + 1).split(whereSeparator: { $0 == " " || $0 == "\t" }).first
                .flatMap { Int64($0) }
            return (kibibytes ?? -1) * 1024
        }
        return -1
    }
}

extension Int64 {
    /// The value in MiB with one decimal.
    var mebibytes: String { String(format: "%.1f", Double(self) / 1_048_576) }
}
