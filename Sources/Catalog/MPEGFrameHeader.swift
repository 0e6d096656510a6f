/// A decoded MPEG-1/2/2.5 audio (layers I–III) or ADTS (AAC) frame header: enough to know the
/// frame is real and where the next one starts.
struct MPEGFrameHeader: Equatable {
    let isADTS: Bool
    /// MPEG version bits (0 = 2.5, 2 = 2, 3 = 1) or, for ADTS, the sampling frequency index.
    let version: UInt8
    /// Layer bits (3 = I, 2 = II, 1 = III); 0 for ADTS.
    let layer: UInt8
    let sampleRate: Int
    /// Bytes in this frame, header included.
    let length: Int

    /// Bit rates in kb/s by [MPEG-1?][layer I, II, III][index].
    private static let bitRates: [[[Int]]] = [
        [
            [0, 32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256],
            [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160],
            [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160],
        ],
        [
            [0, 32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448],
            [0, 32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384],
            [0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320],
        ],
    ]
    private static let sampleRates: [UInt8: [Int]] = [
        3: [44100, 48000, 32000], 2: [22050, 24000, 16000], 0: [11025, 12000, 8000],
    ]
    private static let adtsRates = [
        96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350,
    ]

    /// The header at `offset`, or nil when the bytes there are not a valid one (free-format
    /// MPEG streams, with no bit rate in their header, are not accepted).
    init?(_ b: [UInt8], at offset: Int) {
        guard offset >= 0, b.count >= offset + 4, b[offset] == 0xFF, b[offset + 1] & 0xE0 == 0xE0 else { return nil }
        let b1 = b[offset + 1]
        let b2 = b[offset + 2]
        if b1 & 0xF6 == 0xF0 {
            // ADTS: 12-bit sync, layer 00; frequency index, 13-bit frame length.
            guard b.count >= offset + 7 else { return nil }
            let frequency = (b2 >> 2) & 0x0F
            guard Int(frequency) < Self.adtsRates.count else { return nil }
            let length = Int(b[offset + 3] & 0x03) << 11 | Int(b[offset + 4]) << 3 | Int(b[offset + 5] >> 5)
            guard length >= 7 else { return nil }
            self.isADTS = true
            self.version = frequency
            self.layer = 0
            self.sampleRate = Self.adtsRates[Int(frequency)]
            self.length = length
            return
        }
        let version = (b1 >> 3) & 0x03
        let layer = (b1 >> 1) & 0x03
        let bitRateIndex = Int(b2 >> 4)
        let rateIndex = Int((b2 >> 2) & 0x03)
        guard version != 1, layer != 0, (1...14).contains(bitRateIndex), rateIndex < 3,
            let rates = Self.sampleRates[version]
        else { return nil }
        let padding = Int((b2 >> 1) & 0x01)
        let bitRate = Self.bitRates[version == 3 ? 1 : 0][Int(3 - layer)][bitRateIndex] * 1000
        let sampleRate = rates[rateIndex]
        let length: Int
        switch layer {
        case 3: length = (12 * bitRate / sampleRate + padding) * 4
        case 1 where version != 3: length = 72 * bitRate / sampleRate + padding
        default: length = 144 * bitRate / sampleRate + padding
        }
        guard length >= 4 else { return nil }
        self.isADTS = false
        self.version = version
        self.layer = layer
        self.sampleRate = sampleRate
        self.length = length
    }

    /// Whether `other` continues the same stream (a random second sync word usually does not).
    func sameStream(as other: MPEGFrameHeader) -> Bool {
        self.isADTS == other.isADTS && self.version == other.version && self.layer == other.layer
            && self.sampleRate == other.sampleRate
    }
}
