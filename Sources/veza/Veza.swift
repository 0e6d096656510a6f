import ArgumentParser

/// The `veza` command: the server, its workers and the operator tools.
@main
struct Veza: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "veza",
        abstract: "Veza Media: upload, transcode and stream audio.",
        discussion: """
            Configuration comes from the environment (VEZA_DATA_DIR, DATABASE_URL, TRACK_STORAGE_BACKEND, \
            S3_*, JWT_SECRET, …; see the README). With none set, `veza serve` runs on an embedded SQLite \
            database and the local disk under ./data.
            """,
        subcommands: [
            Serve.self, Worker.self, Migrate.self, Reconcile.self, Token.self, UploadCommand.self,
            TranscodeCommand.self, Presign.self,
        ],
        defaultSubcommand: nil
    )
}
