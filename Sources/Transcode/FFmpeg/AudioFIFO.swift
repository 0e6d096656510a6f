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

    /// Appends the samples of `frame` from sample `offset` on.
    func write(_ frame: Frame, from offset: Int = 0) throws(AVError) {
        let count = frame.sampleCount - offset
        guard count > 0 else { return }
        let bytesPerSample = Int(av_get_bytes_per_sample(format.sampleFormat))
        let planeCount = av_sample_fmt_is_planar(format.sampleFormat) != 0 ? frame.channelCount : 1
        let stride = offset * bytesPerSample * (planeCount == 1 ? frame.channelCount : 1)
        var planes: [UnsafeMutableRawPointer?] = (0..<planeCount).map { channel in
            UnsafeMutableRawPointer(frame.pointer.pointee.extended_data[channel]!) + stride
        }
        let written = try planes.withUnsafeMutableBufferPointer { buffer throws(AVError) in
            try check(av_audio_fifo_write(fifo, buffer.baseAddress, Int32(count)), "av_audio_fifo_write")
        }
        if Int(written) != count {
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
