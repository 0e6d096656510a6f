import Testing

@testable import Ingest

@Suite("Upload state machine")
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

    @Test func chunkGeometry() {
        #expect(UploadSession.chunkCount(size: 1, chunkSize: 10) == 1)
        #expect(UploadSession.chunkCount(size: 10, chunkSize: 10) == 1)
        #expect(UploadSession.chunkCount(size: 11, chunkSize: 10) == 2)
    }
}
