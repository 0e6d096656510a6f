import ArgumentParser
import Crypto
import Foundation
import NIOCore

/// Deterministic pseudo-random bytes (splitmix64), produced in chunks as they are pulled, so any
/// size can be streamed without holding it.
struct DeterministicData: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    let size: Int64
    let seed: UInt64
    let chunkSize: Int

    struct AsyncIterator: AsyncIteratorProtocol {
        var remaining: Int64
        var state: UInt64
        let chunkSize: Int

        mutating func next() async -> ByteBuffer? {
            guard self.remaining > 0 else { return nil }
            let count = Int(Swift.min(Int64(self.chunkSize), self.remaining))
            var buffer = ByteBufferAllocator().buffer(capacity: count + 8)
            var state = self.state
            buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: count + 8) { pointer in
                let words = pointer.bindMemory(to: UInt64.self)
                for index in 0..<((count + 7) / 8) {
                    state &+= 0x9E37_79B9_7F4A_7C15
                    var z = state
                    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
                    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
                    words[index] = (z ^ (z >> 31)).littleEndian
                }
                return count
            }
            self.state = state
            self.remaining -= Int64(count)
            return buffer
        }
    }

    func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(remaining: self.size, state: self.seed, chunkSize: self.chunkSize)
    }
}

/// Hashes and counts the bytes of a sequence as they pass.
final class Digester: @unchecked Sendable {
    private let lock = NSLock()
    private var hasher = SHA256()
    private(set) var count: Int64 = 0

    func update(_ buffer: ByteBuffer) {
        self.lock.withLock {
            buffer.withUnsafeReadableBytes { self.hasher.update(bufferPointer: $0) }
            self.count += Int64(buffer.readableBytes)
        }
    }

    func hex() -> String {
        self.lock.withLock { self.hasher.finalize().map { String(format: "%02x", $0) }.joined() }
    }
}

struct DigestingSequence<Base: AsyncSequence & Sendable>: AsyncSequence, Sendable where Base.Element == ByteBuffer {
    typealias Element = ByteBuffer
    let base: Base
    let digester: Digester

    struct AsyncIterator: AsyncIteratorProtocol {
        var base: Base.AsyncIterator
        let digester: Digester

        mutating func next() async throws -> ByteBuffer? {
            guard let buffer = try await self.base.next() else { return nil }
            self.digester.update(buffer)
            return buffer
        }
    }

    func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(base: self.base.makeAsyncIterator(), digester: self.digester)
    }
}

/// Writes the deterministic benchmark data to a file, so other tools can upload the same bytes.
struct GenerateData: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Write N MiB of deterministic data to a file and print its SHA-256."
    )

    @Option(help: "Size in MiB.") var sizeMib: Int = 1024
    @Option(help: "Seed of the generator.") var seed: UInt64 = 42
    @Option(help: "The file to write.") var output: String

    func run() async throws {
        guard FileManager.default.createFile(atPath: self.output, contents: nil),
            let handle = FileHandle(forWritingAtPath: self.output)
        else {
            throw ValidationError("cannot create \(self.output)")
        }
        defer { try? handle.close() }
        let digester = Digester()
        let data = DeterministicData(size: Int64(self.sizeMib) << 20, seed: self.seed, chunkSize: 1 << 20)
        for await chunk in data {
            digester.update(chunk)
            try handle.write(contentsOf: Data(chunk.readableBytesView))
        }
        print("\(digester.hex())  \(self.output)")
    }
}
