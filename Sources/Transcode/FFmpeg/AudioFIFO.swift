import CFFmpeg

/// Owns an `AVAudioFifo`: regroups resampled audio into the encoder's fixed frame size.
final class AudioFIFO {
    private let fifo: OpaquePointer
    let format: AudioFormat

    init(format: AudioFormat) throws(AVError) {
        guard let fifo = av_audio_fifo_alloc(format.sampleFormat, format.layout.nb_channels, 4096) else {
            throw AVError(code: AVError.outOfMemory, operation: "av_audio_fifo_alloc")
        }
        self.fifo = fifo
        self.format = format
    }

    deinit {
        av_audio_fifo_free(fifo)
    }

    var count: Int { Int(av_audio_fifo_size(fifo)) }

    func write(_ frame: Frame) throws(AVError) {
        guard frame.sampleCount > 0 else { return }
        let data = UnsafeRawPointer(frame.pointer.pointee.extended_data!)
            .assumingMemoryBound(to: UnsafeMutableRawPointer?.self)
        let written = try check(
            av_audio_fifo_write(fifo, UnsafeMutablePointer(mutating: data), frame.pointer.pointee.nb_samples),
            "av_audio_fifo_write"
        )
        if Int(written) != frame.sampleCount {
            throw AVError(code: AVError.outOfMemory, operation: "av_audio_fifo_write")
        }
    }

    /// Takes up to `samples` samples as a new frame with its own buffers.
    func read(samples: Int) throws(AVError) -> Frame {
        let frame = try Frame(format: format, samples: Int32(samples))
        let data = UnsafeRawPointer(frame.pointer.pointee.extended_data!)
            .assumingMemoryBound(to: UnsafeMutableRawPointer?.self)
        let read = try check(
            av_audio_fifo_read(fifo, UnsafeMutablePointer(mutating: data), Int32(samples)),
            "av_audio_fifo_read"
        )
        frame.pointer.pointee.nb_samples = read
        return frame
    }
}
