/// SplitMix64 (Steele, Lea, Flood 2014): a tiny, fast, deterministic generator, so every fuzz and property test
/// replays the same inputs from its seed on every machine.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) {
        self.state = seed
    }

    mutating func next() -> UInt64 {
        self.state &+= 0x9E37_79B9_7F4A_7C15
        var z = self.state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A value in `0..<bound`; the modulo bias is irrelevant for test input and, unlike the standard library's
    /// `random(in:using:)`, the sequence cannot change with a toolchain update.
    mutating func below(_ bound: Int) -> Int {
        Int(self.next() % UInt64(bound))
    }

    mutating func chance(_ numerator: Int, in denominator: Int) -> Bool {
        self.below(denominator) < numerator
    }

    mutating func pick<T>(_ choices: [T]) -> T {
        choices[self.below(choices.count)]
    }
}
