import Database
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import TestSupport
import Testing

@testable import StreamServer

/// The OpenAPI document is the API's one description: it must say exactly what the router serves.
@Suite("OpenAPI: the document describes every route and only those")
struct RouteDescriptionTests {
    static let methods = ["get", "put", "post", "delete", "options", "head", "patch", "trace"]

    /// `METHOD /path/{param}` of every operation the document describes.
    static func describedOperations(_ document: [String: Any]) -> Set<String> {
        let paths = document["paths"] as? [String: [String: Any]] ?? [:]
        return Set(
            paths.flatMap { path, item in
                item.keys.filter { Self.methods.contains($0) }.map { "\($0.uppercased()) \(path)" }
            }
        )
    }

    @Test("every registered route is described, every description is registered", arguments: DatabaseEngine.allCases)
    func routesMatchDescriptions(engine: DatabaseEngine) async throws {
        try await TestApp.with(engine) { components, _ in
            // Hummingbird's router lists what was really registered, paths rendered `/a/{id}` as
            // OpenAPI writes them.
            let registered = Set(buildRouter(components).routes.map { "\($0.method.rawValue) \($0.path)" })
            let described = Self.describedOperations(try OpenAPIDocument.bundled().object)
            #expect(registered.count > 40)
            #expect(
                registered.subtracting(described).sorted() == [],
                "routes without a description: add them to Sources/StreamServer/OpenAPI/Paths/"
            )
            #expect(described.subtracting(registered).sorted() == [], "descriptions without a route")
        }
    }

    @Test("the document assembles, every $ref resolves, every operation is complete")
    func documentIsWhole() throws {
        let document = try OpenAPIDocument.bundled().object
        #expect(document["openapi"] as? String == "3.1.0")
        var refs: [String] = []
        func collect(_ value: Any) {
            if let object = value as? [String: Any] {
                if let ref = object["$ref"] as? String { refs.append(ref) }
                object.values.forEach(collect)
            } else if let array = value as? [Any] {
                array.forEach(collect)
            }
        }
        collect(document)
        #expect(!refs.isEmpty)
        for ref in Set(refs) {
            #expect(ref.hasPrefix("#/"), "\(ref): only local references")
            var node: Any? = document
            for part in ref.dropFirst(2).split(separator: "/") { node = (node as? [String: Any])?[String(part)] }
            #expect(node != nil, "\(ref) does not resolve")
        }
        var operationIDs: [String] = []
        for (path, item) in document["paths"] as? [String: [String: Any]] ?? [:] {
            let shared = item["parameters"] as? [Any] ?? []
            for method in Self.methods {
                guard let operation = item[method] as? [String: Any] else { continue }
                let responses = operation["responses"] as? [String: Any] ?? [:]
                #expect(!responses.isEmpty, "\(method) \(path) has no responses")
                if let id = operation["operationId"] as? String { operationIDs.append(id) }
                #expect(operation["operationId"] != nil, "\(method) \(path) has no operationId")
                // Every `{name}` of the path is declared as a path parameter (here or by $ref).
                let declared = (shared + (operation["parameters"] as? [Any] ?? [])).compactMap { entry -> String? in
                    guard var object = entry as? [String: Any] else { return nil }
                    if let ref = object["$ref"] as? String,
                        let resolved = (document["components"] as? [String: Any]).flatMap({
                            ($0["parameters"] as? [String: Any])?[String(ref.split(separator: "/").last ?? "")]
                        }) as? [String: Any]
                    {
                        object = resolved
                    }
                    return object["in"] as? String == "path" ? object["name"] as? String : nil
                }
                let templated = path.split(separator: "/").filter { $0.hasPrefix("{") }.map {
                    String($0.dropFirst().dropLast())
                }
                #expect(Set(templated) == Set(declared), "\(method) \(path): path parameters \(declared)")
            }
        }
        #expect(Set(operationIDs).count == operationIDs.count, "operationIds are unique")
    }

    @Test("a fragment that redefines a path is refused")
    func duplicateIsRefused() throws {
        var root: [String: Any] = ["paths": ["/a": ["get": [:]]], "components": ["schemas": ["A": [:]]]]
        #expect(throws: OpenAPIDocument.AssemblyError.self) {
            try OpenAPIDocument.merge(["paths": ["/a": ["post": [:]]]], into: &root, from: "x.json")
        }
        #expect(throws: OpenAPIDocument.AssemblyError.self) {
            try OpenAPIDocument.merge(["components": ["schemas": ["A": [:]]]], into: &root, from: "x.json")
        }
        try OpenAPIDocument.merge(["paths": ["/b": ["get": [:]]]], into: &root, from: "y.json")
        #expect((root["paths"] as? [String: Any])?.keys.sorted() == ["/a", "/b"])
    }

    @Test("GET /openapi.json serves the assembled document", arguments: DatabaseEngine.allCases)
    func served(engine: DatabaseEngine) async throws {
        let expected = try OpenAPIDocument.bundled().json
        try await TestApp.with(engine) { _, client in
            try await client.execute(uri: "/openapi.json", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "application/json; charset=utf-8")
                #expect(Data(buffer: response.body) == expected)
            }
        }
    }
}
