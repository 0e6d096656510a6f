import Foundation

/// Integrated loudness (ITU-R BS.1770-4 / EBU R128) and loudness range (EBU Tech 3342).
///
/// K-weighting is the BS.1770 pre-filter (high shelf) followed by the RLB high-pass,
/// their coefficients derived for the actual sample rate the way libebur128 does, so
/// 44.1 kHz and 22.05 kHz audio is measured as accurately as 48 kHz. The weighted
/// power is summed per 100 ms (rounded like libebur128: (rate + 5) / 10 samples):
/// gating blocks are 4 of those (400 ms, 75 % overlap), short-term blocks 30 (3 s).
/// Channel weights are all 1: the meter sees the delivered mono or stereo signal.
struct LoudnessMeter {
    private var filters: [KWeightingFilter]
    private let samplesPer100ms: Int
    private var filledSamples = 0
    private var power = 0.0
    /// Weighted power of each completed 100 ms sub-block, summed over channels.
    private var subBlocks: [Double] = []

    init(sampleRate: Int, channels: Int) {
        filters = Array(repeating: KWeightingFilter(sampleRate: Double(sampleRate)), count: channels)
        samplesPer100ms = (sampleRate + 5) / 10
    }

    /// Adds `count` samples of each channel (planar float).
    mutating func process(_ planes: [UnsafePointer<Float>], count: Int) {
        var offset = 0
        while offset < count {
            let chunk = min(count - offset, samplesPer100ms - filledSamples)
            if planes.count == 2 {
                // Both channels in one loop: their filters are independent dependency chains,
                // which the CPU then runs side by side. Same sums, added in the same order.
                var (left, right) = (filters[0], filters[1])
                let sums = KWeightingFilter.sumsOfSquares(
                    &left,
                    &right,
                    planes[0] + offset,
                    planes[1] + offset,
                    count: chunk
                )
                (filters[0], filters[1]) = (left, right)
                power += sums.left
                power += sums.right
            } else {
                for channel in planes.indices {
                    power += filters[channel].sumOfSquares(planes[channel] + offset, count: chunk)
                }
            }
            offset += chunk
            filledSamples += chunk
            if filledSamples == samplesPer100ms {
                subBlocks.append(power)
                power = 0
                filledSamples = 0
            }
        }
    }

    /// Integrated loudness in LUFS; nil when every block is below the −70 LUFS gate (silence).
    var integratedLoudness: Double? {
        let blocks = blockPowers(subBlocksPerBlock: 4)
        guard let relativeGate = Self.relativeGate(blocks, offset: -10) else { return nil }
        let gated = blocks.filter { Self.loudness($0) > relativeGate }
        guard !gated.isEmpty else { return nil }
        return Self.loudness(gated.reduce(0, +) / Double(gated.count))
    }

    /// Loudness range in LU: the spread between the 10th and 95th percentiles of the
    /// short-term loudness, gated at −70 LUFS and 20 LU below their mean. Nil when fewer
    /// than 3 s of non-silent audio exist.
    var loudnessRange: Double? {
        let blocks = blockPowers(subBlocksPerBlock: 30)
        guard let relativeGate = Self.relativeGate(blocks, offset: -20) else { return nil }
        let levels = blocks.map(Self.loudness).filter { $0 > relativeGate }.sorted()
        guard !levels.isEmpty else { return nil }
        func percentile(_ p: Double) -> Double {
            levels[min(levels.count - 1, Int((Double(levels.count - 1) * p).rounded()))]
        }
        return percentile(0.95) - percentile(0.10)
    }

    /// Mean power of each block of `n` consecutive sub-blocks, one block every 100 ms.
    private func blockPowers(subBlocksPerBlock n: Int) -> [Double] {
        guard subBlocks.count >= n else { return [] }
        var result: [Double] = []
        result.reserveCapacity(subBlocks.count - n + 1)
        var window = subBlocks[0..<n].reduce(0, +)
        let scale = 1 / Double(n * samplesPer100ms)
        result.append(window * scale)
        for index in n..<subBlocks.count {
            window += subBlocks[index] - subBlocks[index - n]
            result.append(max(window, 0) * scale)
        }
        return result
    }

    /// The relative gate: the loudness of the blocks above the absolute gate, plus `offset` LU.
    private static func relativeGate(_ blocks: [Double], offset: Double) -> Double? {
        let audible = blocks.filter { loudness($0) > -70 }
        guard !audible.isEmpty else { return nil }
        return loudness(audible.reduce(0, +) / Double(audible.count)) + offset
    }

    static func loudness(_ power: Double) -> Double {
        power > 0 ? -0.691 + 10 * log10(power) : -.infinity
    }
}

/// The two BS.1770 biquads for one channel, in direct form I with Double state.
struct KWeightingFilter {
    fileprivate var shelf: Biquad
    fileprivate var highPass: Biquad

    init(sampleRate: Double) {
        // Pre-filter: high shelf, +4 dB above ~1.7 kHz (constants as in libebur128).
        var f0 = 1681.974450955533
        let gain = 3.999843853973347
        var q = 0.7071752369554196
        var k = tan(Double.pi * f0 / sampleRate)
        let vh = pow(10.0, gain / 20.0)
        let vb = pow(vh, 0.4996667741545416)
        var a0 = 1.0 + k / q + k * k
        shelf = Biquad(
            b0: (vh + vb * k / q + k * k) / a0,
            b1: 2.0 * (k * k - vh) / a0,
            b2: (vh - vb * k / q + k * k) / a0,
            a1: 2.0 * (k * k - 1.0) / a0,
            a2: (1.0 - k / q + k * k) / a0
        )
        // RLB weighting: second-order high-pass at ~38 Hz.
        f0 = 38.13547087602444
        q = 0.5003270373238773
        k = tan(Double.pi * f0 / sampleRate)
        a0 = 1.0 + k / q + k * k
        highPass = Biquad(b0: 1, b1: -2, b2: 1, a1: 2.0 * (k * k - 1.0) / a0, a2: (1.0 - k / q + k * k) / a0)
    }

    /// Filters `count` samples and returns the sum of the squared output.
    mutating func sumOfSquares(_ samples: UnsafePointer<Float>, count: Int) -> Double {
        var sum = 0.0
        for index in 0..<count {
            let y = highPass.process(shelf.process(Double(samples[index])))
            sum += y * y
        }
        return sum
    }
}

extension KWeightingFilter {
    /// `sumOfSquares` of two channels at once (each with its own filter).
    static func sumsOfSquares(
        _ leftFilter: inout KWeightingFilter,
        _ rightFilter: inout KWeightingFilter,
        _ left: UnsafePointer<Float>,
        _ right: UnsafePointer<Float>,
        count: Int
    ) -> (left: Double, right: Double) {
        var sums = (left: 0.0, right: 0.0)
        for index in 0..<count {
            let l = leftFilter.highPass.process(leftFilter.shelf.process(Double(left[index])))
            let r = rightFilter.highPass.process(rightFilter.shelf.process(Double(right[index])))
            sums.left += l * l
            sums.right += r * r
        }
        return sums
    }
}

struct Biquad {
    let b0, b1, b2, a1, a2: Double
    private var x1 = 0.0, x2 = 0.0, y1 = 0.0, y2 = 0.0

    init(b0: Double, b1: Double, b2: Double, a1: Double, a2: Double) {
        (self.b0, self.b1, self.b2, self.a1, self.a2) = (b0, b1, b2, a1, a2)
    }

    @inline(__always)
    mutating func process(_ x: Double) -> Double {
        var y = b0 * x + b1 * x1 + b2 * x2 - a1 * y1 - a2 * y2
        // Flush denormals: a long silence would otherwise slow the filter to a crawl.
        if abs(y) < 1e-30 { y = 0 }
        (x2, x1, y2, y1) = (x1, x, y1, y)
        return y
    }
}
