import CFFmpeg

/// Owns a swresample context converting one input format to one output format.
final class Resampler {
    private var context: OpaquePointer?
    let input: AudioFormat
    let output: AudioFormat

    init(from input: AudioFormat, to output: AudioFormat) throws(AVError) {
        self.input = input
        self.output = output
        var inLayout = input.layout
        var outLayout = output.layout
        try check(
            swr_alloc_set_opts2(
                &context,
                &outLayout,
                output.sampleFormat,
                output.sampleRate,
                &inLayout,
                input.sampleFormat,
                input.sampleRate,
                0,
                nil
            ),
            "swr_alloc_set_opts2"
        )
        try check(swr_init(context), "swr_init")
    }

    deinit {
        swr_free(&context)
    }

    /// Converts `frame` (nil flushes the samples swresample holds back) into `output`,
    /// which is unreferenced and given fresh buffers sized by swresample.
    func convert(_ frame: Frame?, into result: Frame) throws(AVError) {
        result.unref()
        result.pointer.pointee.format = output.sampleFormat.rawValue
        result.pointer.pointee.sample_rate = output.sampleRate
        var layout = output.layout
        try check(av_channel_layout_copy(&result.pointer.pointee.ch_layout, &layout), "av_channel_layout_copy")
        if frame == nil {
            // swr_convert_frame sizes a flush from the input frame, so allocate for the delay.
            let pending = swr_get_delay(context, Int64(output.sampleRate)) + 16
            result.pointer.pointee.nb_samples = Int32(max(pending, 1))
            try check(av_frame_get_buffer(result.pointer, 0), "av_frame_get_buffer")
        }
        try check(swr_convert_frame(context, result.pointer, frame?.pointer), "swr_convert_frame")
    }
}
