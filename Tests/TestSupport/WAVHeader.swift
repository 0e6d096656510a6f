/// The 44-byte header of a 16-bit stereo 44.1 kHz PCM WAV file, with the sizes it declares.
///
/// - Parameters:
///   - riffSize: The RIFF chunk's size (the file's length less 8, in an honest file).
///   - dataSize: The data chunk's size (the file's length less 44, in an honest file).
public func wavHeader(riffSize: UInt32, dataSize: UInt32) -> [UInt8] {
    var bytes: [UInt8] = []
    bytes.reserveCapacity(44)
    func append32(_ value: UInt32) { withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) } }
    func append16(_ value: UInt16) { withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) } }
    bytes += Array("RIFF".utf8)
    append32(riffSize)
    bytes += Array("WAVEfmt ".utf8)
    append32(16)  // fmt chunk size
    append16(1)  // PCM
    append16(2)  // channels
    append32(44_100)  // sample rate
    append32(44_100 * 4)  // bytes per second
    append16(4)  // block align
    append16(16)  // bits per sample
    bytes += Array("data".utf8)
    append32(dataSize)
    return bytes
}
