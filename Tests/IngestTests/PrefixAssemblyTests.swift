import Testing

@testable import Ingest

@Suite("Prefix assembly state machine")
struct PrefixAssemblyTests {
    @Test("S3: whole parts as the prefix grows, the short last part only at the end, then the hand-over")
    func parts() {
        var machine = PrefixAssembly(declaredSize: 25, partSize: 10)
        #expect(machine.apply(.prefixGrew(to: 0)) == .wait)
        #expect(machine.apply(.prefixGrew(to: 4)) == .start)
        #expect(machine.apply(.started) == .wait)
        #expect(machine.apply(.prefixGrew(to: 8)) == .wait)
        #expect(machine.apply(.prefixGrew(to: 21)) == .send(offset: 0, length: 10))
        #expect(machine.apply(.prefixGrew(to: 21)) == .send(offset: 10, length: 10))
        #expect(machine.apply(.prefixGrew(to: 21)) == .wait)
        #expect(machine.apply(.prefixGrew(to: 25)) == .send(offset: 20, length: 5))
        #expect(machine.apply(.take) == .handOver(fed: 25))
        #expect(machine.apply(.prefixGrew(to: 25)) == .none)
    }

    @Test("local: any contiguous bytes; stop abandons; a take before the start hands nothing")
    func local() {
        var machine = PrefixAssembly(declaredSize: 25, partSize: nil)
        #expect(machine.apply(.prefixGrew(to: 4)) == .start)
        #expect(machine.apply(.startFailed) == .wait)
        #expect(machine.apply(.prefixGrew(to: 4)) == .start)
        #expect(machine.apply(.started) == .wait)
        #expect(machine.apply(.prefixGrew(to: 4)) == .send(offset: 0, length: 4))
        #expect(machine.apply(.stop) == .abandon)
        #expect(machine.apply(.take) == .none)
        var early = PrefixAssembly(declaredSize: 25, partSize: 10)
        #expect(early.apply(.take) == .none)
        var racing = PrefixAssembly(declaredSize: 25, partSize: 10)
        _ = racing.apply(.prefixGrew(to: 4))
        #expect(racing.apply(.take) == .none)
        #expect(racing.apply(.started) == .abandon)
    }

    @Test("reach: what a prefix lets the driver send (whole parts on S3, the rest only when all is there)")
    func reach() {
        let s3 = PrefixAssembly(declaredSize: 25, partSize: 10)
        #expect(s3.reach(withPrefix: 0) == 0)
        #expect(s3.reach(withPrefix: 9) == 0)
        #expect(s3.reach(withPrefix: 21) == 20)
        #expect(s3.reach(withPrefix: 25) == 25)
        #expect(s3.reach(withPrefix: 30) == 25)
        let local = PrefixAssembly(declaredSize: 25, partSize: nil)
        #expect(local.reach(withPrefix: 7) == 7)
        #expect(local.reach(withPrefix: 30) == 25)
    }
}
