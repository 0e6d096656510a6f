import Foundation

/// The timestamps SigV4 uses: `YYYYMMDD'T'HHMMSS'Z'` (ISO 8601 basic, UTC) for `X-Amz-Date` and
/// `YYYYMMDD` for the credential scope.
///
/// Computed from the Unix timestamp with integer calendar arithmetic: `DateFormatter` is slow and
/// locale-sensitive, and every presigned HLS segment URL needs one of these.
public enum AmzDate {
    /// Formats a date as `YYYYMMDDTHHMMSSZ` in UTC (fractional seconds are dropped).
    ///
    /// - Parameter date: The signing time.
    /// - Returns: e.g. `20130524T000000Z`.
    public static func timestamp(_ date: Date) -> String {
        Stamp(date).timestamp
    }

    /// Formats the UTC day of a date as `YYYYMMDD`, the date of a credential scope.
    ///
    /// - Parameter date: The signing time.
    /// - Returns: e.g. `20130524`.
    public static func dateStamp(_ date: Date) -> String {
        Stamp(date).dateStamp
    }

    /// Parses `YYYYMMDDTHHMMSSZ` (as `veza presign --at 20130524T000000Z` takes it).
    ///
    /// - Parameter string: The timestamp; nothing else is accepted (no separators, no offset, no
    ///   fractional seconds, no leap second), and the day must exist in that month.
    /// - Returns: The date, or `nil` when the text is not such a timestamp.
    public static func parse(_ string: String) -> Date? {
        let bytes = Array(string.utf8)
        guard bytes.count == 16, bytes[8] == UInt8(ascii: "T"), bytes[15] == UInt8(ascii: "Z") else {
            return nil
        }
        func number(_ range: Range<Int>) -> Int64? {
            var value: Int64 = 0
            for byte in bytes[range] {
                guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
                value = value * 10 + Int64(byte - UInt8(ascii: "0"))
            }
            return value
        }
        guard let year = number(0..<4), let month = number(4..<6), let day = number(6..<8),
            let hour = number(9..<11), let minute = number(11..<13), let second = number(13..<15),
            (1...12).contains(month), (1...Self.daysIn(month: month, year: year)).contains(day),
            hour < 24, minute < 60, second < 60
        else {
            return nil
        }
        let days = Self.daysFromCivil(year: year, month: month, day: day)
        let seconds = days * 86_400 + hour * 3_600 + minute * 60 + second
        return Date(timeIntervalSince1970: TimeInterval(seconds))
    }
}

extension AmzDate {
    /// Both strings of one instant, computed once per signature.
    struct Stamp {
        let timestamp: String
        let dateStamp: String

        init(_ date: Date) {
            let interval = date.timeIntervalSince1970
            // Clamp to years 0000...9999 so a nonsense Date cannot trap or produce a 5-digit year.
            let lowest: Double = -62_167_219_200  // 0000-01-01T00:00:00Z
            let highest: Double = 253_402_300_799  // 9999-12-31T23:59:59Z
            let clamped = interval.isNaN ? 0 : min(max(interval.rounded(.down), lowest), highest)
            let seconds = Int64(clamped)
            let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
            let secondOfDay = seconds - days * 86_400
            let (year, month, day) = AmzDate.civilFromDays(days)

            var bytes = [UInt8](repeating: UInt8(ascii: "0"), count: 16)
            func put(_ value: Int64, at offset: Int, digits: Int) {
                var value = value
                for position in stride(from: offset + digits - 1, through: offset, by: -1) {
                    bytes[position] = UInt8(ascii: "0") + UInt8(value % 10)
                    value /= 10
                }
            }
            put(year, at: 0, digits: 4)
            put(month, at: 4, digits: 2)
            put(day, at: 6, digits: 2)
            bytes[8] = UInt8(ascii: "T")
            put(secondOfDay / 3_600, at: 9, digits: 2)
            put(secondOfDay / 60 % 60, at: 11, digits: 2)
            put(secondOfDay % 60, at: 13, digits: 2)
            bytes[15] = UInt8(ascii: "Z")
            self.timestamp = String(decoding: bytes, as: UTF8.self)
            self.dateStamp = String(decoding: bytes[0..<8], as: UTF8.self)
        }
    }

    // Howard Hinnant's proleptic Gregorian day algorithms (http://howardhinnant.github.io/date_algorithms.html).

    static func civilFromDays(_ days: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1_460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let shiftedMonth = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * shiftedMonth + 2) / 5 + 1
        let month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        return (year, month, day)
    }

    static func daysFromCivil(year: Int64, month: Int64, day: Int64) -> Int64 {
        let year = month <= 2 ? year - 1 : year
        let era = (year >= 0 ? year : year - 399) / 400
        let yearOfEra = year - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    private static func daysIn(month: Int64, year: Int64) -> Int64 {
        switch month {
        case 2:
            let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
            return leap ? 29 : 28
        case 4, 6, 9, 11:
            return 30
        default:
            return 31
        }
    }
}
