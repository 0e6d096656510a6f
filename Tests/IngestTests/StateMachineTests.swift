import Testing

@testable import Ingest

@Suite("Upload state machine and sniffer")
struct StateMachineTests {
    @Test func transitions() {
        var machine = UploadSession.StateMachine(status: .receiving)
        #expect(machine.apply(.receiveChunk) == .accept)
        #expect(machine.apply(.startAssembly) == .transition(from: .receiving, to: .assembling))
        #expect(machine.apply(.receiveChunk) == .reject(from: .assembling))
        #expect(machine.apply(.startAssembly) == .reject(from: .assembling))
        #expect(machine.apply(.abort) == .reject(from: .assembling))
        #expect(machine.apply(.assemblyFailed) == .transition(from: .assembling, to: .receiving))
        #expect(machine.apply(.startAssembly) == .transition(from: .receiving, to: .assembling))
        #expect(machine.apply(.assemblySucceeded) == .transition(from: .assembling, to: .completed))
        for event: UploadSession.StateMachine.Event in [
            .receiveChunk, .startAssembly, .abort, .expire, .assemblyFailed,
        ] {
            #expect(machine.apply(event) == .reject(from: .completed))
        }
        var other = UploadSession.StateMachine(status: .receiving)
        #expect(other.apply(.abort) == .transition(from: .receiving, to: .aborted))
        #expect(other.apply(.expire) == .reject(from: .aborted))
        var expiring = UploadSession.StateMachine(status: .receiving)
        #expect(expiring.apply(.expire) == .transition(from: .receiving, to: .expired))
        #expect(expiring.apply(.receiveChunk) == .reject(from: .expired))
    }

    @Test func sniffing() {
        func bytes(_ text: String, pad: Int = 12) -> [UInt8] { Array(text.utf8) + [UInt8](repeating: 0, count: pad) }
        #expect(AudioSniffer.sniff(bytes("ID3"))?.fileExtension == "mp3")
        #expect(AudioSniffer.sniff([0xFF, 0xFB, 0x90, 0x00])?.contentType == "audio/mpeg")
        #expect(AudioSniffer.sniff([0xFF, 0xF1, 0x50, 0x80])?.contentType == "audio/aac")
        #expect(AudioSniffer.sniff(bytes("fLaC"))?.contentType == "audio/flac")
        #expect(AudioSniffer.sniff(bytes("RIFF\u{0}\u{0}\u{0}\u{0}WAVE"))?.contentType == "audio/wav")
        #expect(AudioSniffer.sniff(bytes("RIFF\u{0}\u{0}\u{0}\u{0}AVI ")) == nil)
        #expect(AudioSniffer.sniff(bytes("OggS"))?.contentType == "audio/ogg")
        #expect(AudioSniffer.sniff(bytes("\u{0}\u{0}\u{0}\u{20}ftypM4A "))?.contentType == "audio/mp4")
        #expect(AudioSniffer.sniff(bytes("%PDF-1.7")) == nil)
        #expect(AudioSniffer.sniff([]) == nil)
    }

    @Test func chunkGeometry() {
        #expect(UploadSession.chunkCount(size: 1, chunkSize: 10) == 1)
        #expect(UploadSession.chunkCount(size: 10, chunkSize: 10) == 1)
        #expect(UploadSession.chunkCount(size: 11, chunkSize: 10) == 2)
    }
}
