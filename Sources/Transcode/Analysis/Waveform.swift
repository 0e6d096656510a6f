import Foundation

/// Waveform peaks in the JSON format of BBC's audiowaveform (version 2): min/max pairs
/// of the mono mix (channels averaged, as audiowaveform does without --split-channels),
/// 8-bit values.
///
/// Peaks are gathered at 256 samples per pixel while decoding, then coarsened by a whole
/// factor so that `length` stays at most `maxPoints` (2000): a 4 s clip keeps 256
/// samples/pixel (~690 points at 44.1 kHz), a 10 min track gets ~13,300 (~2,000 points).
struct WaveformBuilder {
    static let baseSamplesPerPixel = 256
    static let maxPoints = 2000

    private let sampleRate: Int
    private let maxPoints: Int
    private var minima: [Float] = []
    private var maxima: [Float] = []
    private var pixelMin: Float = .infinity
    private var pixelMax: Float = -.infinity
    private var filled = 0

    init(sampleRate: Int, maxPoints: Int = WaveformBuilder.maxPoints) {
        self.sampleRate = sampleRate
        self.maxPoints = maxPoints
    }

    mutating func process(_ planes: [UnsafePointer<Float>], count: Int) {
        guard !planes.isEmpty else { return }
        let scale = 1 / Float(planes.count)
        if planes.count == 2 {
            // Stereo without the inner loop over the planes: the same sum, in the same order.
            let (left, right) = (planes[0], planes[1])
            for index in 0..<count {
                var mixed: Float = 0
                mixed += left[index]
                mixed += right[index]
                add(mixed * scale)
            }
            return
        }
        for index in 0..<count {
            var mixed: Float = 0
            for plane in planes { mixed += plane[index] }
            add(mixed * scale)
        }
    }

    @inline(__always)
    private mutating func add(_ mixed: Float) {
        pixelMin = min(pixelMin, mixed)
        pixelMax = max(pixelMax, mixed)
        filled += 1
        if filled == Self.baseSamplesPerPixel { closePixel() }
    }

    private mutating func closePixel() {
        minima.append(pixelMin)
        maxima.append(pixelMax)
        pixelMin = .infinity
        pixelMax = -.infinity
        filled = 0
    }

    /// The finished waveform (a partial last pixel included).
    mutating func finish() -> Waveform {
        if filled > 0 { closePixel() }
        let factor = max(1, (minima.count + maxPoints - 1) / maxPoints)
        var data: [Int] = []
        data.reserveCapacity(2 * (minima.count / factor + 1))
        for start in stride(from: 0, to: minima.count, by: factor) {
            let end = min(start + factor, minima.count)
            data.append(Self.eightBit(minima[start..<end].min()!))
            data.append(Self.eightBit(maxima[start..<end].max()!))
        }
        return Waveform(
            sampleRate: sampleRate,
            samplesPerPixel: Self.baseSamplesPerPixel * factor,
            data: data
        )
    }

    /// audiowaveform's 8-bit values are 16-bit samples shifted right by 8.
    static func eightBit(_ sample: Float) -> Int {
        let sixteen = Int((max(-1, min(1, sample)) * 32767).rounded(.down))
        return max(-128, min(127, sixteen >> 8))
    }
}

/// An audiowaveform version-2 document.
struct Waveform: Sendable, Equatable {
    let sampleRate: Int
    let samplesPerPixel: Int
    /// min, max, min, max, … (one pair per pixel, one channel).
    let data: [Int]

    var length: Int { data.count / 2 }

    /// `{"version":2,"channels":1,"sample_rate":…,"samples_per_pixel":…,"bits":8,"length":…,"data":[…]}`
    func json() -> Data {
        var text = "{\"version\":2,\"channels\":1,\"sample_rate\":\(sampleRate)"
        text += ",\"samples_per_pixel\":\(samplesPerPixel),\"bits\":8,\"length\":\(length),\"data\":["
        text += data.map(String.init).joined(separator: ",")
        text += "]}"
        return Data(text.utf8)
    }
}
