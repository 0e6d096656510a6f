import Database

struct DatabaseHealthCheck: HealthCheck {
    let database: DatabaseClient
    var name: String { "database" }

    func check() async -> HealthReport {
        await measured {
            try await self.database.ping()
            return ["engine": self.database.kind.rawValue, "location": self.database.displayLocation]
        }
    }
}
