import CFFmpeg

/// The FFmpeg libraries this process is linked against (what `/health/deep` reports).
public enum FFmpegLibraries {
    /// One library's version, as `major.minor.micro`.
    public struct Version: Sendable, Equatable, CustomStringConvertible {
        public let major: Int
        public let minor: Int
        public let micro: Int

        init(packed: UInt32) {
            major = Int(veza_version_major(packed))
            minor = Int(veza_version_minor(packed))
            micro = Int(veza_version_micro(packed))
        }

        public var description: String { "\(major).\(minor).\(micro)" }
    }

    /// The linked versions of the four libraries the Transcode module uses.
    public struct Versions: Sendable, Equatable {
        public let avformat: Version
        public let avcodec: Version
        public let swresample: Version
        public let avutil: Version

        /// Library name to version string, e.g. `["avformat": "59.27.100", …]`.
        public var dictionary: [String: String] {
            [
                "avformat": avformat.description, "avcodec": avcodec.description,
                "swresample": swresample.description, "avutil": avutil.description,
            ]
        }
    }

    /// The versions of the shared libraries loaded at run time (not the headers compiled against).
    public static var versions: Versions {
        Versions(
            avformat: Version(packed: avformat_version()),
            avcodec: Version(packed: avcodec_version()),
            swresample: Version(packed: swresample_version()),
            avutil: Version(packed: avutil_version())
        )
    }
}

extension FFmpegLibraries {
    /// What the HLS ladder needs from the linked build: a distribution FFmpeg without them would
    /// fail every transcode, so `/health/deep` reports them.
    public struct Capabilities: Sendable, Equatable {
        /// The native AAC-LC encoder.
        public let aacEncoder: Bool
        /// The MP4 muxer (fragmented MP4 for HLS).
        public let mp4Muxer: Bool

        public var isComplete: Bool { self.aacEncoder && self.mp4Muxer }
    }

    /// Looks the encoder and muxer up in the linked libraries.
    public static var capabilities: Capabilities {
        Capabilities(
            aacEncoder: avcodec_find_encoder(AV_CODEC_ID_AAC) != nil,
            mp4Muxer: av_guess_format("mp4", nil, nil) != nil
        )
    }
}
