import Foundation

/// The OpenAPI 3.1 description of every route, assembled from the package's `OpenAPI` resources:
/// `openapi.json` (the root: info, security, shared components) and one fragment per area in
/// `OpenAPI/Paths/` (`paths`, `tags`, `components`). An area adds its routes by adding a file;
/// a path, tag or component defined twice is an error, not a silent override.
///
/// `RouteDescriptionTests` holds the document to the router: every registered route is described
/// and every described operation is registered.
struct OpenAPIDocument: Sendable {
    struct AssemblyError: Error, CustomStringConvertible {
        let description: String
    }

    /// The assembled document, serialised once (sorted keys, so the bytes are stable).
    let json: Data

    /// The assembled document as a JSON object, for tests.
    var object: [String: Any] {
        get throws {
            guard let value = try JSONSerialization.jsonObject(with: self.json) as? [String: Any] else {
                throw AssemblyError(description: "the document is not a JSON object")
            }
            return value
        }
    }

    /// The document shipped in the package.
    static func bundled() throws -> OpenAPIDocument {
        guard let folder = Bundle.module.resourceURL?.appendingPathComponent("OpenAPI") else {
            throw AssemblyError(description: "the OpenAPI resources are missing from the bundle")
        }
        return try OpenAPIDocument(folder: folder)
    }

    init(folder: URL) throws {
        var root = try Self.readObject(folder.appendingPathComponent("openapi.json"))
        let fragmentsFolder = folder.appendingPathComponent("Paths")
        let names = try FileManager.default.contentsOfDirectory(atPath: fragmentsFolder.path)
            .filter { $0.hasSuffix(".json") }.sorted()
        for name in names {
            try Self.merge(Self.readObject(fragmentsFolder.appendingPathComponent(name)), into: &root, from: name)
        }
        self.json = try JSONSerialization.data(withJSONObject: root, options: [.sortedKeys, .withoutEscapingSlashes])
    }

    static func readObject(_ url: URL) throws -> [String: Any] {
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw AssemblyError(description: "cannot read \(url.lastPathComponent)")
        }
        guard let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw AssemblyError(description: "\(url.lastPathComponent) is not a JSON object")
        }
        return object
    }

    /// Adds a fragment's paths, tags and components to the root.
    static func merge(_ fragment: [String: Any], into root: inout [String: Any], from name: String) throws {
        let unknown = Set(fragment.keys).subtracting(["paths", "tags", "components"])
        guard unknown.isEmpty else {
            throw AssemblyError(
                description: "\(name): only paths, tags and components belong in a fragment, not \(unknown.sorted())"
            )
        }
        var paths = root["paths"] as? [String: Any] ?? [:]
        try self.add(fragment["paths"] as? [String: Any] ?? [:], to: &paths, what: "path", from: name)
        root["paths"] = paths

        var tags = root["tags"] as? [Any] ?? []
        let known = Set(tags.compactMap { ($0 as? [String: Any])?["name"] as? String })
        for tag in fragment["tags"] as? [Any] ?? [] {
            let tagName = (tag as? [String: Any])?["name"] as? String ?? ""
            guard !known.contains(tagName) else {
                throw AssemblyError(description: "\(name): tag \(tagName) is defined twice")
            }
            tags.append(tag)
        }
        root["tags"] = tags

        var components = root["components"] as? [String: Any] ?? [:]
        for (section, value) in fragment["components"] as? [String: Any] ?? [:] {
            var existing = components[section] as? [String: Any] ?? [:]
            try self.add(value as? [String: Any] ?? [:], to: &existing, what: "components.\(section)", from: name)
            components[section] = existing
        }
        root["components"] = components
    }

    static func add(_ entries: [String: Any], to target: inout [String: Any], what: String, from name: String) throws {
        for (key, value) in entries {
            guard target[key] == nil else {
                throw AssemblyError(description: "\(name): \(what) \(key) is defined twice")
            }
            target[key] = value
        }
    }
}
