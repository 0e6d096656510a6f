import NIOCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A failed system call.
struct SystemCallError: Error, CustomStringConvertible {
    var call: String
    var path: String
    var errno: CInt

    var description: String {
        "\(self.call)(\(self.path)): \(String(cString: strerror(self.errno)))"
    }

    /// Whether the path (or one of its parents) does not exist or is not a directory.
    var isNotFound: Bool { self.errno == ENOENT || self.errno == ENOTDIR }

    /// The error as a ``StorageError``: a missing path becomes `notFound`, a file/directory
    /// clash ``StorageError/conflict``, anything else ``StorageError/io``.
    func storageError(key: String?, notFound: StorageError = .noSuchKey) -> StorageError {
        if self.isNotFound { return notFound.with(key: key) }
        switch self.errno {
        case EEXIST, EISDIR, ENOTEMPTY:
            return StorageError.conflict.with(
                message: "The key collides with other keys on the file-system store (\(self.description)).",
                key: key
            )
        default:
            return StorageError.io.with(message: self.description, key: key)
        }
    }
}

/// An open file descriptor, closed when the last reference goes away, so a body that is dropped
/// half-read never leaks it.
final class OpenFile: Sendable {
    let fd: CInt
    let path: String

    init(fd: CInt, path: String) {
        self.fd = fd
        self.path = path
    }

    deinit { _ = close(self.fd) }
}

/// Blocking file-system calls. Every function here must run on a thread pool, never on an
/// event loop or the cooperative pool (see ``FileSystemStore`` for how they are dispatched).
enum Posix {
    static func check(_ call: String, _ path: String, _ result: @autoclosure () -> CInt) throws {
        while true {
            if result() != -1 { return }
            if errno == EINTR { continue }
            throw SystemCallError(call: call, path: path, errno: errno)
        }
    }

    /// Reads up to `count` bytes at `offset`; fewer only at the end of the file.
    static func read(_ file: OpenFile, offset: Int64, count: Int) throws -> ByteBuffer {
        var buffer = ByteBufferAllocator().buffer(capacity: count)
        while buffer.readableBytes < count {
            let wanted = count - buffer.readableBytes
            let position = offset + Int64(buffer.readableBytes)
            let read = try buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: wanted) { pointer in
                while true {
                    let result = pread(file.fd, pointer.baseAddress, wanted, off_t(position))
                    if result >= 0 { return result }
                    if errno == EINTR { continue }
                    throw SystemCallError(call: "pread", path: file.path, errno: errno)
                }
            }
            if read == 0 { break }
        }
        return buffer
    }

    static func write(_ file: OpenFile, _ buffer: ByteBuffer, offset: Int64) throws {
        var written = 0
        try buffer.withUnsafeReadableBytes { bytes in
            while written < bytes.count {
                let result = pwrite(
                    file.fd,
                    bytes.baseAddress! + written,
                    bytes.count - written,
                    off_t(offset + Int64(written))
                )
                if result >= 0 {
                    written += result
                } else if errno != EINTR {
                    throw SystemCallError(call: "pwrite", path: file.path, errno: errno)
                }
            }
        }
    }

    static func open(_ path: String, flags: CInt, mode: mode_t = 0o644) throws -> OpenFile {
        while true {
            let fd = Glibc.open(path, flags | O_CLOEXEC, mode)
            if fd >= 0 { return OpenFile(fd: fd, path: path) }
            if errno == EINTR { continue }
            throw SystemCallError(call: "open", path: path, errno: errno)
        }
    }

    /// Whether `path` is a regular file (false when it is missing or something else).
    static func isRegularFile(_ path: String) throws -> Bool {
        var info = stat()
        if lstat(path, &info) == 0 { return (info.st_mode & S_IFMT) == S_IFREG }
        if errno == ENOENT || errno == ENOTDIR { return false }
        throw SystemCallError(call: "lstat", path: path, errno: errno)
    }

    static func rename(_ from: String, to: String) throws {
        try self.check("rename", to, Glibc.rename(from, to))
    }

    static func unlink(_ path: String) throws {
        try self.check("unlink", path, Glibc.unlink(path))
    }

    /// Creates `path` and its missing parents, which must lie under `root` (already existing).
    static func makeDirectories(_ path: String, root: String) throws {
        guard path.count > root.count else { return }
        var current = root
        for segment in path.dropFirst(root.count + 1).split(separator: "/") {
            current += "/" + segment
            if mkdir(current, 0o755) == 0 || errno == EEXIST { continue }
            throw SystemCallError(call: "mkdir", path: current, errno: errno)
        }
    }

    /// Removes the empty directories from `directory` up to, but not including, `root`.
    static func removeEmptyParents(of directory: String, root: String) {
        var current = directory
        while current.count > root.count, current.hasPrefix(root + "/") {
            guard rmdir(current) == 0 else { return }
            current = String(current[..<(current.lastIndex(of: "/") ?? current.startIndex)])
        }
    }

    /// The entries of a directory, without `.` and `..`; nil when it does not exist.
    static func listDirectory(_ path: String) throws -> [(name: String, isDirectory: Bool)]? {
        guard let directory = opendir(path) else {
            if errno == ENOENT || errno == ENOTDIR { return nil }
            throw SystemCallError(call: "opendir", path: path, errno: errno)
        }
        defer { closedir(directory) }
        var entries: [(name: String, isDirectory: Bool)] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { bytes in
                String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name == "." || name == ".." { continue }
            var isDirectory = entry.pointee.d_type == UInt8(DT_DIR)
            if entry.pointee.d_type == UInt8(DT_UNKNOWN) {
                var info = stat()
                isDirectory = lstat(path + "/" + name, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
            }
            entries.append((name, isDirectory))
        }
        return entries
    }

    /// Removes a directory tree; a missing one is not an error.
    static func removeTree(_ path: String) throws {
        guard let entries = try self.listDirectory(path) else { return }
        for entry in entries {
            let child = path + "/" + entry.name
            if entry.isDirectory {
                try self.removeTree(child)
            } else if Glibc.unlink(child) != 0 && errno != ENOENT {
                throw SystemCallError(call: "unlink", path: child, errno: errno)
            }
        }
        if rmdir(path) != 0 && errno != ENOENT {
            throw SystemCallError(call: "rmdir", path: path, errno: errno)
        }
    }
}
