import Storage

/// `/health/deep`'s view of the object store.
struct ObjectStoreHealthCheck: HealthCheck {
    let store: any ObjectStore
    let backend: AppConfiguration.StorageBackend
    let location: String
    var name: String { "store" }

    func check() async -> HealthReport {
        let store = self.store
        let details = ["backend": self.backend.rawValue, "location": self.location]
        return await measured {
            try await store.checkHealth()
            return details
        }
    }
}
