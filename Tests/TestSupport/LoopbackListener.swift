import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A TCP listener on 127.0.0.1 that only counts the connections it receives: a target for
/// hostile files that try to make the server fetch a URL, which must never be contacted.
public final class LoopbackListener: @unchecked Sendable {
    public let port: Int
    private let descriptor: Int32
    private let thread: Thread
    private let counter: Counter
    private let closed = Counter()

    public init() throws {
        #if os(Linux)
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
        let fd = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard fd >= 0 else { throw POSIXError(.EMFILE) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0, listen(fd, 16) == 0 else {
            close(fd)
            throw POSIXError(.EADDRINUSE)
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        self.port = Int(UInt16(bigEndian: address.sin_port))
        self.descriptor = fd
        let counter = Counter()
        self.thread = Thread {
            while true {
                let client = accept(fd, nil, nil)
                if client < 0 { return }
                counter.increment()
                close(client)
            }
        }
        self.counter = counter
        self.thread.start()
    }

    /// Connections accepted so far.
    public var connections: Int { self.counter.value }

    /// Stops listening.
    public func stop() {
        guard self.closed.increment() == 1 else { return }
        shutdown(self.descriptor, Int32(SHUT_RDWR))
        close(self.descriptor)
    }

    deinit { self.stop() }

    final class Counter: @unchecked Sendable {
        private let lock = NSLock()
        private var count = 0
        var value: Int { self.lock.withLock { self.count } }
        @discardableResult
        func increment() -> Int {
            self.lock.withLock {
                self.count += 1
                return self.count
            }
        }
    }
}
