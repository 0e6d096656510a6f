import Foundation

/// A parsed media playlist, enough to check what RFC 8216 requires of it.
struct MediaPlaylist {
    var version: Int?
    var targetDuration: Int?
    var playlistType: String?
    var hasEndList = false
    var mapURI: String?
    var segments: [(duration: Double, uri: String)] = []

    init(_ text: String) {
        var pendingDuration: Double?
        for line in text.split(whereSeparator: \.isNewline).map(String.init) {
            if line.hasPrefix("#EXT-X-VERSION:") {
                version = Int(line.dropFirst("#EXT-X-VERSION:".count))
            } else if line.hasPrefix("#EXT-X-TARGETDURATION:") {
                targetDuration = Int(line.dropFirst("#EXT-X-TARGETDURATION:".count))
            } else if line.hasPrefix("#EXT-X-PLAYLIST-TYPE:") {
                playlistType = String(line.dropFirst("#EXT-X-PLAYLIST-TYPE:".count))
            } else if line == "#EXT-X-ENDLIST" {
                hasEndList = true
            } else if line.hasPrefix("#EXT-X-MAP:") {
                mapURI = attribute("URI", in: String(line.dropFirst("#EXT-X-MAP:".count)))
            } else if line.hasPrefix("#EXTINF:") {
                pendingDuration = Double(line.dropFirst("#EXTINF:".count).split(separator: ",").first ?? "")
            } else if !line.hasPrefix("#"), let duration = pendingDuration {
                segments.append((duration, line))
                pendingDuration = nil
            }
        }
    }
}

/// A parsed master playlist.
struct MasterPlaylist {
    struct Variant {
        let attributes: [String: String]
        let uri: String
    }
    var version: Int?
    var independentSegments = false
    var variants: [Variant] = []

    init(_ text: String) {
        var pending: [String: String]?
        for line in text.split(whereSeparator: \.isNewline).map(String.init) {
            if line.hasPrefix("#EXT-X-VERSION:") {
                version = Int(line.dropFirst("#EXT-X-VERSION:".count))
            } else if line == "#EXT-X-INDEPENDENT-SEGMENTS" {
                independentSegments = true
            } else if line.hasPrefix("#EXT-X-STREAM-INF:") {
                pending = attributes(String(line.dropFirst("#EXT-X-STREAM-INF:".count)))
            } else if !line.hasPrefix("#"), let attributes = pending {
                variants.append(Variant(attributes: attributes, uri: line))
                pending = nil
            }
        }
    }
}

/// Parses an attribute list (`A=1,B="x,y"`), honouring quoted commas.
func attributes(_ list: String) -> [String: String] {
    var result: [String: String] = [:]
    var key = ""
    var value = ""
    var inKey = true
    var quoted = false
    for character in list + "," {
        if inKey {
            if character == "=" { inKey = false } else { key.append(character) }
        } else if character == "\"" {
            quoted.toggle()
        } else if character == "," && !quoted {
            result[key.trimmingCharacters(in: .whitespaces)] = value
            key = ""
            value = ""
            inKey = true
        } else {
            value.append(character)
        }
    }
    return result
}

func attribute(_ name: String, in list: String) -> String? { attributes(list)[name] }

/// The ISO BMFF boxes the tests look into.
enum MP4Boxes {
    /// `(segment_duration, media_time)` of each entry of the first `elst` in `data`.
    static func editList(in data: Data) -> [(duration: Int64, mediaTime: Int64)]? {
        guard let elst = find("elst", in: [UInt8](data), path: ["moov", "trak", "edts"]) else { return nil }
        let version = elst[0]
        let count = Int(readUInt(elst, 4, 4))
        var entries: [(Int64, Int64)] = []
        var offset = 8
        for _ in 0..<count {
            if version == 1 {
                entries.append(
                    (Int64(bitPattern: readUInt(elst, offset, 8)), Int64(bitPattern: readUInt(elst, offset + 8, 8)))
                )
                offset += 20
            } else {
                entries.append(
                    (Int64(readUInt(elst, offset, 4)), Int64(Int32(bitPattern: UInt32(readUInt(elst, offset + 4, 4)))))
                )
                offset += 12
            }
        }
        return entries.map { (duration: $0.0, mediaTime: $0.1) }
    }

    /// The payload of box `type` found by descending through `path`.
    static func find(_ type: String, in bytes: [UInt8], path: [String]) -> [UInt8]? {
        var offset = 0
        while offset + 8 <= bytes.count {
            var size = Int(readUInt(bytes, offset, 4))
            let name = String(decoding: bytes[(offset + 4)..<(offset + 8)], as: UTF8.self)
            var header = 8
            if size == 1 {
                size = Int(readUInt(bytes, offset + 8, 8))
                header = 16
            } else if size == 0 {
                size = bytes.count - offset
            }
            guard size >= header, offset + size <= bytes.count else { return nil }
            let payload = Array(bytes[(offset + header)..<(offset + size)])
            if let next = path.first, name == next {
                return find(type, in: payload, path: Array(path.dropFirst()))
            }
            if path.isEmpty && name == type { return payload }
            offset += size
        }
        return nil
    }

    private static func readUInt(_ bytes: [UInt8], _ offset: Int, _ count: Int) -> UInt64 {
        bytes[offset..<(offset + count)].reduce(0) { $0 << 8 | UInt64($1) }
    }
}
