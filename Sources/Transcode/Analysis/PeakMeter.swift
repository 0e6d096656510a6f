import Foundation

/// Sample peak and true peak (ITU-R BS.1770-4 Annex 2) of planar float audio.
///
/// True peak: each channel is oversampled (4× below 96 kHz, 2× below 192 kHz, as
/// libebur128 does) with a 49-tap Hann-windowed sinc interpolator, and the largest
/// absolute interpolated value is kept. Phase 0 of the polyphase filter is the
/// original sample itself, so only the in-between phases are computed.
struct PeakMeter {
    private(set) var samplePeak: Float = 0
    private(set) var truePeak: Float = 0
    private let factor: Int
    /// Coefficients of the in-between phases, `phases[p][t]` applied to `x[n - t]`.
    private let phases: [[Float]]
    private let historyLength: Int
    /// The last `historyLength` input samples of each channel.
    private var histories: [[Float]]
    private var work: [Float] = []

    init(sampleRate: Int, channels: Int) {
        factor = sampleRate < 96000 ? 4 : sampleRate < 192000 ? 2 : 1
        let taps = 49
        var phases = Array(repeating: [Float](), count: factor)
        if factor > 1 {
            for phase in 0..<factor {
                // Tap j of the prototype lands in phase j % factor at delay j / factor.
                var coefficients = [Float](repeating: 0, count: (taps + factor - 1) / factor)
                for j in stride(from: phase, to: taps, by: factor) {
                    let m = Double(j) - Double(taps - 1) / 2
                    let x = m * Double.pi / Double(factor)
                    let sinc = abs(m) < 1e-9 ? 1.0 : sin(x) / x
                    let window = 0.5 * (1 - cos(2 * Double.pi * Double(j) / Double(taps - 1)))
                    coefficients[j / factor] = Float(sinc * window)
                }
                phases[phase] = coefficients
            }
        }
        self.phases = phases
        historyLength = (taps + factor - 1) / factor
        histories = Array(repeating: [Float](repeating: 0, count: historyLength), count: channels)
    }

    var samplePeakDBFS: Double? { Self.decibels(samplePeak) }
    var truePeakDBTP: Double? { Self.decibels(max(truePeak, samplePeak)) }

    static func decibels(_ value: Float) -> Double? {
        value > 0 ? 20 * log10(Double(value)) : nil
    }

    mutating func process(_ planes: [UnsafePointer<Float>], count: Int) {
        for channel in planes.indices {
            let samples = UnsafeBufferPointer(start: planes[channel], count: count)
            var peak = samplePeak
            for sample in samples { peak = max(peak, abs(sample)) }
            samplePeak = peak
            if factor > 1 { interpolate(channel: channel, samples) }
        }
    }

    private mutating func interpolate(channel: Int, _ samples: UnsafeBufferPointer<Float>) {
        // work = history followed by the new samples, so every output index sees its past.
        work.removeAll(keepingCapacity: true)
        work.append(contentsOf: histories[channel])
        work.append(contentsOf: samples)
        var peak = truePeak
        let history = historyLength
        work.withUnsafeBufferPointer { x in
            guard let base = x.baseAddress else { return }
            for phase in 1..<factor {
                phases[phase].withUnsafeBufferPointer { c in
                    // Eight outputs at once: each lane sums c[t] * x[n - t] for t upwards, the
                    // same operations in the same order as one output at a time, so the
                    // result is bit for bit the scalar one, several times faster.
                    var n = history
                    var lanes = SIMD8<Float>(repeating: 0)
                    while n + 8 <= x.count {
                        var acc = SIMD8<Float>(repeating: 0)
                        for t in 0..<c.count {
                            let samples = UnsafeRawPointer(base + (n - t)).loadUnaligned(as: SIMD8<Float>.self)
                            acc += c[t] * samples
                        }
                        lanes = pointwiseMax(lanes, pointwiseMax(acc, -acc))
                        n += 8
                    }
                    peak = max(peak, lanes.max())
                    while n < x.count {
                        var acc: Float = 0
                        for t in 0..<c.count {
                            acc += c[t] * x[n - t]
                        }
                        peak = max(peak, abs(acc))
                        n += 1
                    }
                }
            }
        }
        truePeak = peak
        histories[channel] = Array(work.suffix(history))
    }
}
