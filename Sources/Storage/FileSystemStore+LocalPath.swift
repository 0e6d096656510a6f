extension FileSystemStore {
    /// The file holding an object, for readers that need a path rather than a stream (FFmpeg
    /// reads local sources directly, seeking as it likes).
    ///
    /// - Parameter key: The object key, validated like every other key.
    /// - Returns: The absolute path; the file may not exist.
    public func localPath(forKey key: String) throws -> String {
        try ObjectKey.validate(key)
        return self.path(for: key)
    }
}
