import Foundation
import TestSupport
import Testing

/// `veza reconcile`, run as an operator would.
@Suite("veza reconcile")
struct ReconcileCommandTests {
    @Test("one pass and exit; without a provider it says so; bad durations name their variable")
    func reconcile() async throws {
        let dataDirectory = CommandLineTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dataDirectory) }
        let bare = try await CommandLineTests.run(["reconcile"], environment: ["VEZA_DATA_DIR": dataDirectory])
        #expect(bare.status == 0)
        #expect(bare.output.contains("no payment provider is configured"))

        try await FakeHyperswitch.with { fake in
            let run = try await CommandLineTests.run(
                ["reconcile"],
                environment: [
                    "VEZA_DATA_DIR": dataDirectory, "HYPERSWITCH_URL": fake.url.absoluteString,
                    "HYPERSWITCH_API_KEY": fake.apiKey, "HYPERSWITCH_WEBHOOK_SECRET": fake.webhookSecret,
                    "RECONCILE_PENDING_AFTER": "90s",
                ]
            )
            #expect(run.status == 0)
            #expect(run.output.contains("examined 0 pending invoice(s)"))
        }

        for name in [
            "RECONCILE_PENDING_AFTER", "RECONCILE_INTERVAL", "SUBSCRIPTION_SWEEP_INTERVAL", "SUBSCRIPTION_GRACE",
        ] {
            let bad = try await CommandLineTests.run(
                ["reconcile"],
                environment: ["VEZA_DATA_DIR": dataDirectory, name: "soon"]
            )
            #expect(bad.status == 1)
            #expect(bad.output.contains(name), "\(bad.output)")
        }
    }
}
