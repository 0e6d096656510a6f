import Testing

@testable import StreamServer

/// Seeded fuzzing of Range and If-Range: 100 000 Range and 50 000 If-Range values, random and mutated, from
/// fixed SplitMix64 seeds, so a failure replays exactly. Each test runs as four shards with their own seeds, which
/// Swift Testing spreads over the cores. Checks are plain comparisons collected into a list, because `#expect`
/// in a tight loop would dominate a debug build's run time.
@Suite("Range and If-Range fuzzing")
struct RangeFuzzTests {
    static let shards = 0..<4
    static let rangeIterationsPerShard = 25_000
    static let ifRangeIterationsPerShard = 12_500

    /// Well-formed starting points for mutation.
    static let rangeSeeds = [
        "bytes=0-9", "bytes=10-", "bytes=-10", "bytes=-0", "bytes=0-1,5-6", "bytes=0-0,-1", "bytes=1000-",
        "bytes=0-18446744073709551615", "bytes=18446744073709551616-", "BYTES = 5 - 9 , 20-", "bytes=,,0-1,,",
        "bytes=0-0,2-2,4-4,6-6,8-8,10-10,12-12,14-14,16-16,18-18,20-20,22-22,24-24,26-26,28-28,30-30",
    ]
    /// Pieces random headers are built from, and mutations insert.
    static let fragments = [
        "bytes", "BYTES", "Bytes", "items", "=", "-", ",", " ", "\t", "0", "1", "9", "10", "99", "100", "101",
        "18446744073709551615", "18446744073709551616", "99999999999999999999999", "00000000000000000007", "abc",
        ";", "\"", "W/", "*", "é", "\u{301}", "\r\n", "\u{0}", "\u{663}", "+", "x",
    ]
    static let sizes: [UInt64] = [0, 1, 2, 7, 10, 99, 100, 101, 1000, 1 << 32, .max - 1, .max]

    @Test(arguments: shards)
    func rangeHeadersMatchTheReferenceAndStayConsistent(shard: Int) {
        var random = SplitMix64(seed: 0x5EED_0100 + UInt64(shard))
        var failures: [String] = []
        var seen = [200: 0, 206: 0, 416: 0]
        for iteration in 0..<Self.rangeIterationsPerShard {
            let size = random.chance(1, in: 4) ? random.next() % 2000 : random.pick(Self.sizes)
            let header = Self.makeRangeHeader(&random, size: size)
            let decision = RangeDecision(rangeHeader: header, size: size)
            seen[decision.statusCode, default: 0] += 1

            if let problem = Self.inconsistency(decision, size: size) {
                failures.append("#\(iteration) \(header.debugDescription) size \(size): \(problem)")
            }
            // The reference model is several times slower than the parser in a debug build; comparing every
            // fourth header keeps the test near a second while still checking 25 000 values.
            if iteration % 4 == 0 {
                let reference = ReferenceRangeModel.decide(header, size: size)
                if decision != reference {
                    failures.append("#\(iteration) \(header.debugDescription) size \(size): \(decision) ≠ \(reference)")
                }
            }
            // Lay out every multipart answer and check the framing arithmetic. Only a representation within a
            // few KiB of 2^64 bytes can make Content-Length overflow, and then the layout must refuse.
            if case .multipart(let ranges) = decision {
                let bytes = ranges.reduce(UInt64(0)) { $0 + $1.length }
                if let layout = MultipartByteRanges(ranges: ranges, size: size, contentType: "a/b", using: &random) {
                    let framing = layout.parts.reduce(layout.closingDelimiter.utf8.count) { $0 + $1.header.utf8.count }
                    if layout.contentLength != UInt64(framing) + bytes {
                        failures.append("#\(iteration) layout length")
                    }
                } else if bytes < UInt64.max - 1 << 16 {
                    failures.append("#\(iteration) no multipart layout for \(ranges)")
                }
            }
            if failures.count >= 10 { break }
        }
        #expect(failures.isEmpty, "\(failures.joined(separator: "\n"))")
        // The generator must reach every outcome, or the test proves little.
        #expect(seen.values.allSatisfy { $0 > 250 }, "\(seen)")
    }

    @Test(arguments: shards)
    func ifRangeValuesOnlyHonourAnExactStrongMatch(shard: Int) {
        var random = SplitMix64(seed: 0x5EED_0200 + UInt64(shard))
        let lastModified = HTTPDate(secondsSince1970: 784_111_777)  // Sun, 06 Nov 1994 08:49:37 GMT
        let strong = RepresentationValidators(entityTag: EntityTag(opaqueTag: "v1"), lastModified: lastModified)
        let weak = RepresentationValidators(
            entityTag: EntityTag(opaqueTag: "v1", isWeak: true),
            lastModified: lastModified
        )
        let seeds = [
            "\"v1\"", "W/\"v1\"", "\"v2\"", "\"\"", "*", "\"v1\", \"v2\"", lastModified.imfFixdate,
            "Sunday, 06-Nov-94 08:49:37 GMT", "Sun Nov  6 08:49:37 1994", "Sun, 06 Nov 1994 08:49:38 GMT",
        ]
        var failures: [String] = []
        var honoured = 0
        for iteration in 0..<Self.ifRangeIterationsPerShard {
            var value = random.pick(seeds)
            for _ in 0..<random.below(3) { value = Self.mutate(value, &random) }
            let validators = random.chance(1, in: 2) ? strong : weak
            let method = random.pick([ConditionalRequest.Method.get, .head, .other])
            let request = ConditionalRequest(method: method, ifRange: value, hasRange: true)

            let trimmed = Self.trimmedOWS(value)
            let tagMatches = !(validators.entityTag?.isWeak ?? true) && trimmed == "\"v1\""
            let dateMatches = HTTPDate(parsing: value) == lastModified
            let expected = ConditionalOutcome.proceed(
                honourRange: method != .other && (trimmed.isEmpty || tagMatches || dateMatches)
            )
            let outcome = request.evaluate(against: validators)
            if outcome == .proceed(honourRange: true) { honoured += 1 }
            if outcome != expected {
                failures.append("#\(iteration) \(value.debugDescription) \(validators): \(outcome) ≠ \(expected)")
                if failures.count >= 10 { break }
            }
        }
        #expect(failures.isEmpty, "\(failures.joined(separator: "\n"))")
        #expect(honoured > 250)
    }

    /// A third each: built from fragments, mutated from a valid header, or well-formed with numbers chosen
    /// around `size` (the boundaries where clamping and satisfiability change).
    static func makeRangeHeader(_ random: inout SplitMix64, size: UInt64) -> String {
        switch random.below(3) {
        case 0:
            var header = random.chance(3, in: 4) ? random.pick(["bytes=", "BYTES=", "bytes =", "items="]) : ""
            for _ in 0..<random.below(12) {
                header += random.chance(1, in: 3) ? String(random.next() % 300) : random.pick(Self.fragments)
            }
            return header
        case 1:
            var header = random.pick(Self.rangeSeeds)
            for _ in 0..<(1 + random.below(3)) { header = Self.mutate(header, &random) }
            return header
        default:
            let count = random.chance(1, in: 10) ? 1 + random.below(20) : 1 + random.below(4)
            let specs = (0..<count).map { _ -> String in
                switch random.below(4) {
                case 0: return "\(Self.number(&random, near: size))-"
                case 1: return "-\(Self.number(&random, near: size))"
                default:
                    let (a, b) = (Self.number(&random, near: size), Self.number(&random, near: size))
                    let ordered = random.chance(1, in: 8) || Self.numeric(a, b) ? (a, b) : (b, a)
                    return "\(ordered.0)-\(ordered.1)"
                }
            }
            let separator = random.pick([",", ", ", " ,", ",\t", ",,"])
            return random.pick(["bytes=", "Bytes=", "bytes = "]) + specs.joined(separator: separator)
        }
    }

    /// A decimal string at or around an interesting position for `size`, sometimes beyond UInt64.
    static func number(_ random: inout SplitMix64, near size: UInt64) -> String {
        let value: String
        switch random.below(8) {
        case 0: value = "0"
        case 1: value = String(size &- 1)
        case 2: value = String(size)
        case 3: value = String(size &+ 1)
        case 4: value = "18446744073709551616"
        case 5: value = String(random.next())
        default: value = String(random.next() % max(size, 1))
        }
        return random.chance(1, in: 16) ? "000" + value : value
    }

    static func numeric(_ a: String, _ b: String) -> Bool {
        let (x, y) = (a.drop { $0 == "0" }, b.drop { $0 == "0" })
        return x.count != y.count ? x.count < y.count : x < y
    }

    /// One random edit: insert a fragment or a number, delete or duplicate a slice, or swap two characters.
    static func mutate(_ text: String, _ random: inout SplitMix64) -> String {
        // Unicode scalars rather than Characters: cheaper, and a mutation may split "\r\n" or detach a combining
        // mark, which is exactly the kind of input a byte-level parser must survive.
        var characters = Array(text.unicodeScalars)
        let position = random.below(characters.count + 1)
        switch random.below(5) {
        case 0:
            characters.insert(contentsOf: random.pick(Self.fragments).unicodeScalars, at: position)
        case 1:
            characters.insert(contentsOf: String(random.next() >> random.below(64)).unicodeScalars, at: position)
        case 2 where !characters.isEmpty:
            let end = min(characters.count, position + 1 + random.below(3))
            characters.removeSubrange(min(position, characters.count - 1)..<end)
        case 3 where !characters.isEmpty:
            let start = min(position, characters.count - 1)
            let slice = characters[start..<min(characters.count, start + 1 + random.below(6))]
            characters.insert(contentsOf: slice, at: start)
        case 4 where characters.count > 1:
            characters.swapAt(random.below(characters.count), random.below(characters.count))
        default:
            characters.append(",")
        }
        return String(String.UnicodeScalarView(characters))
    }

    /// The invariants any decision must satisfy, whatever the header.
    static func inconsistency(_ decision: RangeDecision, size: UInt64) -> String? {
        switch decision {
        case .full:
            return nil
        case .unsatisfiable:
            return size == 0 ? "416 for an empty representation" : nil
        case .partial(let range):
            return range.start <= range.end && range.end < size ? nil : "partial \(range) out of bounds"
        case .multipart(let ranges):
            guard (2...RangeDecision.defaultMaximumRangeCount).contains(ranges.count) else { return "part count" }
            guard ranges.allSatisfy({ $0.start <= $0.end && $0.end < size }) else { return "part out of bounds" }
            let sorted = ranges.sorted { $0.start < $1.start }
            guard zip(sorted, sorted.dropFirst()).allSatisfy({ $0.end < $1.start }) else { return "parts overlap" }
            let total = ranges.reduce(UInt64(0)) { $0 + $1.length }  // cannot trap: disjoint and in bounds
            return total <= size ? nil : "parts exceed the size"
        }
    }

    /// The value with leading and trailing SP/HTAB removed (RFC 9110 §5.5).
    static func trimmedOWS(_ value: String) -> Substring {
        var text = Substring(value)
        while let first = text.first, first == " " || first == "\t" { text.removeFirst() }
        while let last = text.last, last == " " || last == "\t" { text.removeLast() }
        return text
    }
}
