import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A plain TCP connection to the test server, for what an HTTP client library will not send:
/// broken framing, missing or doubled `Host`, half-closes, idle connections.
///
/// Its blocking socket calls run on a thread of their own: on the cooperative pool (two threads
/// here) they would starve the server's own request handling in this process.
final class RawConnection: @unchecked Sendable {
    let fd: Int32

    /// - Parameter sendTimeout: How long a send waits for a peer that stopped reading.
    init(port: Int, sendTimeout: Duration = .seconds(5)) throws {
        self.fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard self.fd >= 0 else { throw RawConnectionError("socket: errno \(errno)") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(self.fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard result == 0 else {
            close(self.fd)
            throw RawConnectionError("connect: errno \(errno)")
        }
        // Reads give up after 5 s, so a test never hangs on a server that does not answer.
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(self.fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let (seconds, attoseconds) = sendTimeout.components
        var send = timeval(tv_sec: Int(seconds), tv_usec: Int(attoseconds / 1_000_000_000_000))
        setsockopt(self.fd, SOL_SOCKET, SO_SNDTIMEO, &send, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit { close(self.fd) }

    /// Sends all of `bytes`, or as much as the peer takes before it stops reading (then false).
    @discardableResult
    func send(_ bytes: [UInt8]) async -> Bool {
        await offPool { self.sendBlocking(bytes) }
    }

    @discardableResult
    func send(_ text: String) async -> Bool { await self.send(Array(text.utf8)) }

    func readAll(timeout: Duration = .seconds(5)) async -> (bytes: [UInt8], closed: Bool) {
        await offPool { self.readAllBlocking(timeout: timeout) }
    }

    func readResponse() async -> (status: Int, head: String, body: [UInt8])? {
        await offPool { self.readResponseBlocking() }
    }

    private func sendBlocking(_ bytes: [UInt8]) -> Bool {
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes {
                Glibc.send(self.fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL))
            }
            if n <= 0 { return false }
            sent += n
        }
        return true
    }

    /// No more bytes from us (the peer reads end of stream); we can still read.
    func shutdownWrite() { shutdown(self.fd, Int32(SHUT_WR)) }

    /// Reads until the peer closes or `timeout` passes: everything received.
    private func readAllBlocking(timeout: Duration) -> (bytes: [UInt8], closed: Bool) {
        let deadline = ContinuousClock.now + timeout
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while ContinuousClock.now < deadline {
            let n = buffer.withUnsafeMutableBytes { recv(self.fd, $0.baseAddress, $0.count, 0) }
            if n == 0 { return (received, true) }
            if n < 0 {
                if errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR { continue }
                return (received, true)  // reset: closed as well
            }
            received += buffer[..<n]
        }
        return (received, false)
    }

    /// Reads one response (head and a `Content-Length` body): status, head text, body.
    private func readResponseBlocking() -> (status: Int, head: String, body: [UInt8])? {
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        let separator: [UInt8] = Array("\r\n\r\n".utf8)
        while true {
            if let end = Self.find(separator, in: received) {
                let head = String(decoding: received[..<end], as: UTF8.self)
                let length =
                    head.split(separator: "\r\n").first { $0.lowercased().hasPrefix("content-length:") }
                    .flatMap { Int($0.split(separator: ":")[1].trimmingCharacters(in: .whitespaces)) } ?? 0
                let bodyStart = end + separator.count
                while received.count < bodyStart + length {
                    let n = buffer.withUnsafeMutableBytes { recv(self.fd, $0.baseAddress, $0.count, 0) }
                    if n <= 0 { break }
                    received += buffer[..<n]
                }
                let status = head.split(separator: " ").dropFirst().first.flatMap { Int($0) } ?? 0
                return (status, head, Array(received[bodyStart..<min(received.count, bodyStart + length)]))
            }
            let n = buffer.withUnsafeMutableBytes { recv(self.fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 { return nil }
            received += buffer[..<n]
        }
    }

    static func find(_ needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        for start in 0...(haystack.count - needle.count)
        where haystack[start..<start + needle.count].elementsEqual(needle) {
            return start
        }
        return nil
    }
}

/// Runs `body` on a new thread and waits for it without holding a cooperative thread.
func offPool<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
    await withCheckedContinuation { continuation in
        Thread { continuation.resume(returning: body()) }.start()
    }
}

struct RawConnectionError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// The server's side of the TCP connections to `port` that still hold a descriptor: established,
/// or closed by the client but not by the server (`CLOSE_WAIT`, the leak). Counted from
/// `/proc/net/tcp{,6}` rather than `/proc/self/fd`, so the other suites running in this process at
/// the same time cannot move the figure.
func serverConnectionCount(port: Int) -> Int {
    let established = "01"
    let closeWait = "08"
    var count = 0
    for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
        guard let text = try? String(contentsOfFile: table, encoding: .utf8) else { continue }
        for line in text.split(separator: "\n").dropFirst() {
            let fields = line.split(separator: " ")
            guard fields.count > 3, let localPort = fields[1].split(separator: ":").last.flatMap({ Int($0, radix: 16) })
            else { continue }
            if localPort == port, fields[3] == established || fields[3] == closeWait { count += 1 }
        }
    }
    return count
}

extension Array where Element == UInt8 {
    /// The `{"error": {"code"}}` of a JSON error body.
    var apiErrorCode: String? {
        let object = (try? JSONSerialization.jsonObject(with: Data(self))) as? [String: Any]
        return (object?["error"] as? [String: Any])?["code"] as? String
    }
}
