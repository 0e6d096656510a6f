import CFFmpeg

/// String options passed to FFmpeg as an `AVDictionary`, built and freed around one call.
struct AVOptions {
    private var entries: [(String, String)] = []

    subscript(key: String) -> String? {
        get { entries.first { $0.0 == key }?.1 }
        set {
            entries.removeAll { $0.0 == key }
            if let newValue { entries.append((key, newValue)) }
        }
    }

    /// Calls `body` with a dictionary holding the options; FFmpeg removes those it
    /// used, and whatever is left is freed afterwards.
    func withUnsafeDictionary<Result>(
        _ body: (UnsafeMutablePointer<OpaquePointer?>) throws -> Result
    ) rethrows -> Result {
        var dictionary: OpaquePointer?
        defer { av_dict_free(&dictionary) }
        for (key, value) in entries {
            av_dict_set(&dictionary, key, value, 0)
        }
        return try body(&dictionary)
    }
}
