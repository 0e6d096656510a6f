import Foundation
import Testing

@testable import Transcode

/// The meters against signals whose loudness is known from BS.1770 itself.
@Suite("Loudness, peaks and waveform")
struct AnalysisTests {
    /// `seconds` of a sine at `amplitude` in every channel.
    private func sine(frequency: Double, amplitude: Float, seconds: Double, rate: Int) -> [Float] {
        (0..<Int(seconds * Double(rate))).map {
            amplitude * Float(sin(2 * Double.pi * frequency * Double($0) / Double(rate)))
        }
    }

    private func measure(_ channels: [[Float]], rate: Int) -> (LoudnessMeter, PeakMeter) {
        var meter = LoudnessMeter(sampleRate: rate, channels: channels.count)
        var peaks = PeakMeter(sampleRate: rate, channels: channels.count)
        // Feed in 1024-sample frames, as the pipeline does.
        let count = channels[0].count
        for start in stride(from: 0, to: count, by: 1024) {
            let n = min(1024, count - start)
            let planes = channels.map { $0.withUnsafeBufferPointer { $0.baseAddress! + start } }
            meter.process(planes.map { UnsafePointer($0) }, count: n)
            peaks.process(planes.map { UnsafePointer($0) }, count: n)
        }
        return (meter, peaks)
    }

    @Test("1 kHz stereo sine at -20 dBFS reads -20 LUFS", arguments: [44100, 48000, 8000])
    func referenceSine(rate: Int) {
        let signal = sine(frequency: 1000, amplitude: 0.1, seconds: 3, rate: rate)
        let (meter, peaks) = measure([signal, signal], rate: rate)
        let integrated = meter.integratedLoudness!
        #expect(abs(integrated - -20.0) < 0.1, "\(integrated)")
        #expect(abs(peaks.samplePeakDBFS! - -20) < 0.1)
        #expect(meter.loudnessRange! < 0.1)
    }

    @Test func monoCountsOneChannel() {
        let signal = sine(frequency: 1000, amplitude: 1, seconds: 3, rate: 48000)
        let (meter, _) = measure([signal], rate: 48000)
        #expect(abs(meter.integratedLoudness! - -3.01) < 0.1)
    }

    @Test func silenceHasNoLoudness() {
        let silence = [Float](repeating: 0, count: 48000 * 2)
        let (meter, peaks) = measure([silence, silence], rate: 48000)
        #expect(meter.integratedLoudness == nil)
        #expect(peaks.samplePeakDBFS == nil)
    }

    @Test func relativeGateDropsQuietPassages() {
        // 2 s at -20 dBFS then 2 s at -50 dBFS: the quiet part is above -70 LUFS but more
        // than 10 LU under the loud part, so only the loud blocks (and those straddling the
        // change, which pull it down by ~0.2 LU) count. Without the relative gate: ~-23 LUFS.
        let rate = 16000
        let loud = sine(frequency: 1000, amplitude: 0.1, seconds: 2, rate: rate)
        let quiet = sine(frequency: 1000, amplitude: 0.00316, seconds: 2, rate: rate)
        let (meter, _) = measure([loud + quiet, loud + quiet], rate: rate)
        #expect(abs(meter.integratedLoudness! - -20.2) < 0.15, "\(meter.integratedLoudness!)")
    }

    /// EBU Tech 3342 case 1: 20 s at -20 LUFS then 20 s at -30 LUFS has a range of 10 LU.
    @Test func loudnessRange() {
        let rate = 8000
        let first = sine(frequency: 1000, amplitude: 0.1, seconds: 20, rate: rate)
        let second = sine(frequency: 1000, amplitude: 0.0316, seconds: 20, rate: rate)
        let (meter, _) = measure([first + second, first + second], rate: rate)
        #expect(abs(meter.loudnessRange! - 10) < 1, "\(meter.loudnessRange!)")
    }

    @Test func truePeakFindsInterSamplePeaks() {
        // fs/4 sine sampled at 45° phase: every sample is at 0.707 of the real peak (-3 dB).
        let rate = 48000
        let signal = (0..<rate / 4).map { Float(sin(Double.pi / 2 * Double($0) + Double.pi / 4)) * 0.5 }
        let (_, peaks) = measure([signal], rate: rate)
        #expect(abs(peaks.samplePeakDBFS! - (20 * log10(0.5 * 0.7071))) < 0.05)
        #expect(abs(peaks.truePeakDBTP! - (20 * log10(0.5))) < 0.3, "\(peaks.truePeakDBTP!)")
    }

    @Test func waveformIsBoundedAndScaled() {
        var builder = WaveformBuilder(sampleRate: 44100)
        let samples = sine(frequency: 100, amplitude: 0.5, seconds: 2, rate: 44100)
        samples.withUnsafeBufferPointer { builder.process([$0.baseAddress!], count: $0.count) }
        let waveform = builder.finish()
        #expect(waveform.samplesPerPixel == 256)
        #expect(waveform.length == (88200 + 255) / 256)
        #expect(waveform.data.max() == 63 && waveform.data.min() == -64)

        // Coarsened by a whole factor once there would be more than maxPoints pixels.
        var long = WaveformBuilder(sampleRate: 8000, maxPoints: 20)
        let second = [Float](repeating: 0.25, count: 8000)
        second.withUnsafeBufferPointer { long.process([$0.baseAddress!], count: $0.count) }
        let coarse = long.finish()
        #expect(coarse.samplesPerPixel == 256 * 2)  // 32 base pixels, factor 2
        #expect(coarse.length == 16)
        #expect(coarse.samplesPerPixel % 256 == 0)
    }
}
