import Foundation

/// The HLS playlists, written by us rather than by FFmpeg's `hls` muxer (which in 5.1
/// states `BANDWIDTH` as the nominal rate × 1.1 and has no `AVERAGE-BANDWIDTH`).
enum Playlists {
    /// fMP4 segments need `EXT-X-MAP` without `EXT-X-I-FRAMES-ONLY`: protocol version 6
    /// (RFC 8216 §7; decimal EXTINF needs only 3). The master states the same version,
    /// since it covers "its associated media".
    static let version = 6
    /// RFC 6381 string for AAC-LC (object type 2) in MP4.
    static let aacLCCodecs = "mp4a.40.2"

    /// Whole seconds no rounded EXTINF exceeds (RFC 8216 §4.3.3.1).
    static func targetDuration(_ segments: [SegmentRecord]) -> Int {
        max(1, segments.map { Int($0.duration.rounded()) }.max() ?? 1)
    }

    static func media(_ rendition: EncodedRendition) -> String {
        var lines = [
            "#EXTM3U",
            "#EXT-X-VERSION:\(version)",
            "#EXT-X-TARGETDURATION:\(targetDuration(rendition.segments))",
            "#EXT-X-MEDIA-SEQUENCE:0",
            "#EXT-X-PLAYLIST-TYPE:VOD",
            "#EXT-X-INDEPENDENT-SEGMENTS",
            "#EXT-X-MAP:URI=\"init.mp4\"",
        ]
        for segment in rendition.segments {
            lines.append(String(format: "#EXTINF:%.6f,", segment.duration))
            lines.append(segment.fileName)
        }
        lines.append("#EXT-X-ENDLIST")
        return lines.joined(separator: "\n") + "\n"
    }

    /// Peak and average bit rates measured from the segments (RFC 8216 §4.3.4.2):
    /// peak is the largest segment's bytes × 8 / EXTINF; average is all segment bytes
    /// × 8 / the total duration. The init segment is fetched once, not per segment,
    /// so it is not counted.
    static func bandwidth(_ segments: [SegmentRecord]) -> (peak: Int, average: Int) {
        let timed = segments.filter { $0.duration > 0 }
        let peak = timed.map { Double($0.byteCount * 8) / $0.duration }.max() ?? 0
        let seconds = timed.reduce(0) { $0 + $1.duration }
        let bytes = timed.reduce(0) { $0 + $1.byteCount }
        let average = seconds > 0 ? Double(bytes * 8) / seconds : 0
        return (Int(peak.rounded(.up)), Int(average.rounded(.up)))
    }

    static func master(_ renditions: [RenditionResult]) -> String {
        var lines = ["#EXTM3U", "#EXT-X-VERSION:\(version)", "#EXT-X-INDEPENDENT-SEGMENTS"]
        for rendition in renditions {
            lines.append(
                "#EXT-X-STREAM-INF:BANDWIDTH=\(rendition.peakBitRate),AVERAGE-BANDWIDTH=\(rendition.averageBitRate),"
                    + "CODECS=\"\(rendition.codecs)\""
            )
            lines.append(rendition.playlistPath)
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
