import Foundation
import Testing

@testable import StreamServer

@Suite("MAX_TRACK_SECONDS")
struct TrackLimitsConfigurationTests {
    static let base = ["JWT_SECRET": String(repeating: "k", count: 40)]

    @Test func defaultAndOverride() throws {
        #expect(try AppConfiguration(environment: Self.base).maxTrackSeconds == 4 * 3600)
        let configured = try AppConfiguration(environment: Self.base.merging(["MAX_TRACK_SECONDS": "600"]) { $1 })
        #expect(configured.maxTrackSeconds == 600)
    }

    @Test(arguments: ["0", "-5", "abc", "1.5", "86401"])
    func refused(value: String) {
        #expect(throws: ConfigurationError.self, "\(value)") {
            _ = try AppConfiguration(environment: Self.base.merging(["MAX_TRACK_SECONDS": value]) { $1 })
        }
    }

    @Test("the setting reaches the transcode handler")
    func wired() async throws {
        try await TestApp.with(.sqlite) { components, _ in
            #expect(components.transcodeHandler.maxTrackSeconds == Double(components.configuration.maxTrackSeconds))
        }
    }
}
