import Testing

@testable import StreamServer

@Suite("Entity tags (RFC 9110 §8.8.3)")
struct EntityTagTests {
    @Test func parsesOneTag() {
        #expect(EntityTag(parsing: "\"abc\"") == EntityTag(opaqueTag: "abc"))
        #expect(EntityTag(parsing: " W/\"abc\"\t") == EntityTag(opaqueTag: "abc", isWeak: true))
        #expect(EntityTag(parsing: "\"\"") == EntityTag(opaqueTag: ""))
        #expect(EntityTag(parsing: "\"a,b\"")?.opaqueTag == "a,b")
        #expect(EntityTag(parsing: "\"caf\u{E9}\"")?.opaqueTag == "caf\u{E9}")  // obs-text
        for malformed in [
            "abc", "\"abc", "abc\"", "w/\"abc\"", "W/ \"abc\"", "W/abc", "\"a\"b\"", "\"a b\"", "\"a\tb\"", "", "W/",
            "\"abc\" \"d\"",
        ] {
            #expect(EntityTag(parsing: malformed) == nil, "\(malformed.debugDescription)")
        }
    }

    @Test func headerValueRoundTrips() throws {
        let strong = try #require(EntityTag(opaqueTag: "1f-5e0"))
        #expect(strong.headerValue == "\"1f-5e0\"")
        let weak = try #require(EntityTag(opaqueTag: "x", isWeak: true))
        #expect(weak.headerValue == "W/\"x\"")
        #expect(EntityTag(parsing: weak.headerValue) == weak)
        #expect(EntityTag(opaqueTag: "a\"b") == nil)
        #expect(EntityTag(opaqueTag: "a b") == nil)
        #expect(EntityTag(opaqueTag: "a\u{7F}") == nil)
    }

    /// The comparison table of RFC 9110 §8.8.3.2.
    @Test(
        arguments: [
            ("W/\"1\"", "W/\"1\"", false, true), ("W/\"1\"", "W/\"2\"", false, false),
            ("W/\"1\"", "\"1\"", false, true), ("\"1\"", "\"1\"", true, true),
        ]
    )
    func comparison(_ lhs: String, _ rhs: String, _ strong: Bool, _ weak: Bool) throws {
        let a = try #require(EntityTag(parsing: lhs))
        let b = try #require(EntityTag(parsing: rhs))
        #expect(a.strongMatches(b) == strong && b.strongMatches(a) == strong)
        #expect(a.weakMatches(b) == weak && b.weakMatches(a) == weak)
    }

    @Test func parsesConditionLists() {
        let a = EntityTag(opaqueTag: "a")!
        let b = EntityTag(opaqueTag: "b", isWeak: true)!
        #expect(EntityTagCondition(parsing: "*") == .any)
        #expect(EntityTagCondition(parsing: " * ") == .any)
        #expect(EntityTagCondition(parsing: "\"a\", W/\"b\"") == .tags([a, b]))
        #expect(EntityTagCondition(parsing: "\"a\",W/\"b\"") == .tags([a, b]))
        #expect(EntityTagCondition(parsing: " , \"a\" ,, W/\"b\" , ") == .tags([a, b]))
        #expect(EntityTagCondition(parsing: "\"a,b\"") == .tags([EntityTag(opaqueTag: "a,b")!]))
        #expect(EntityTagCondition(parsing: ",") == .tags([]))
        for malformed in ["\"a\", *", "* ,", "\"a\" \"b\"", "\"a\"W/\"b\"", "a", "\"a", "**", "W/\"a\" x"] {
            #expect(EntityTagCondition(parsing: malformed) == nil, "\(malformed.debugDescription)")
        }
    }

    @Test func malformedListsNeverCrash() {
        var random = SplitMix64(seed: 3)
        let alphabet = Array("\"W/*, \tab\u{E9}\u{0}")
        for _ in 0..<20_000 {
            let value = String((0..<random.below(12)).map { _ in random.pick(alphabet) })
            if case .tags(let tags) = EntityTagCondition(parsing: value) {
                #expect(tags.allSatisfy { EntityTag(parsing: $0.headerValue) == $0 })
            }
        }
    }
}
