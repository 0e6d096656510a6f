extension FileSystemStore {
    /// The file holding an object: objects of this store are files under its root.
    ///
    /// - Parameter key: The object key, validated like every other key.
    /// - Returns: The absolute path; the file may not exist.
    public func localPath(for key: String) throws -> String? {
        try ObjectKey.validate(key)
        return self.path(for: key)
    }
}
