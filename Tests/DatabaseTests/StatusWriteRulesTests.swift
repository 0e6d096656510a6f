import Foundation
import Testing

/// Every status change goes through its repository's one guarded update (`UPDATE … SET status = <to>
/// … WHERE status = <from>`): a second place that writes a table's status would bypass the state
/// machine. This reads the sources and fails on any table whose status is written from two places.
@Suite("Status writes")
struct StatusWriteRulesTests {
    /// An `UPDATE <table> SET …` statement whose SET list assigns `status`.
    struct StatusWrite: CustomStringConvertible {
        let table: String
        let file: String
        let line: Int
        var description: String { "\(self.file):\(self.line) (\(self.table))" }
    }

    static let sourcesDirectory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Sources")

    /// Finds the status writes of every Swift file under `Sources/`.
    static func statusWrites() throws -> [StatusWrite] {
        let updatePattern = try Regex(#"(?i)\bUPDATE\s+([a-z_]+)\s+SET\s"#)
        let setsStatus = try Regex(#"(?i)(^|[\s,(])status\s*="#)
        var writes: [StatusWrite] = []
        let files = FileManager.default.enumerator(at: Self.sourcesDirectory, includingPropertiesForKeys: nil)
        while let url = files?.nextObject() as? URL {
            guard url.pathExtension == "swift" else { continue }
            // Comments may quote the statement; only code counts.
            let text = try String(contentsOf: url, encoding: .utf8).split(
                separator: "\n",
                omittingEmptySubsequences: false
            )
            .map { $0.trimmingCharacters(in: .whitespaces).hasPrefix("//") ? "" : String($0) }
            .joined(separator: "\n")
            for match in text.matches(of: updatePattern) {
                // The SET list runs to the statement's WHERE (or RETURNING, or the string's end).
                let rest = text[match.range.upperBound...]
                let end = ["WHERE", "RETURNING", "\"\"\""].compactMap { rest.range(of: $0)?.lowerBound }.min()
                let setList = rest[..<(end ?? rest.endIndex)]
                guard setList.contains(setsStatus) else { continue }
                let line = text[..<match.range.lowerBound].filter { $0 == "\n" }.count + 1
                let table = String(text[match.output[1].range!]).lowercased()
                let file = url.path.replacingOccurrences(of: Self.sourcesDirectory.path + "/", with: "")
                writes.append(StatusWrite(table: table, file: file, line: line))
            }
        }
        return writes
    }

    @Test("each table's status is written by exactly one guarded update")
    func oneWriterPerTable() throws {
        let writes = try Self.statusWrites()
        let byTable = Dictionary(grouping: writes, by: \.table)
        for (table, places) in byTable {
            #expect(places.count == 1, "\(table)'s status is written in \(places.count) places: \(places)")
        }
    }

    @Test("the known state machines write through their repositories")
    func knownRepositories() throws {
        let writes = Dictionary(grouping: try Self.statusWrites(), by: \.table)
        #expect(writes["jobs"]?.map(\.file) == ["Database/JobQueue.swift"])
        #expect(writes["upload_sessions"]?.map(\.file) == ["Ingest/UploadSessionRepository.swift"])
        #expect(writes["tracks"]?.map(\.file) == ["Catalog/TrackRepository.swift"])
        #expect(writes["subscriptions"]?.map(\.file) == ["Subscription/SubscriptionRepository.swift"])
        #expect(writes["invoices"]?.map(\.file) == ["Subscription/InvoiceRepository.swift"])
        #expect(writes["marketplace_transfers"]?.map(\.file) == ["Marketplace/TransferRepository.swift"])
        #expect(writes["marketplace_orders"]?.map(\.file) == ["Marketplace/OrderRepository.swift"])
        #expect(writes["marketplace_refunds"]?.map(\.file) == ["Marketplace/RefundRepository.swift"])
        #expect(writes["marketplace_products"]?.map(\.file) == ["Marketplace/ProductRepository.swift"])
    }
}
