/// An HTTP-date (RFC 9110 §5.6.7): whole seconds since the Unix epoch, UTC.
///
/// Hand-written instead of `DateFormatter`: `Last-Modified` is formatted on every file response, the parser runs
/// on every conditional request, and both must be pure and locale-free. HTTP dates have one-second resolution,
/// so compare a file's modification time only after truncating it with ``init(secondsSince1970:)``.
struct HTTPDate: Hashable, Comparable, Sendable, CustomStringConvertible {
    let secondsSince1970: Int64

    /// `0000-01-01T00:00:00Z` and `9999-12-31T23:59:59Z`, the range a four-digit year can express.
    static let earliest = HTTPDate(secondsSince1970: -62_167_219_200)
    static let latest = HTTPDate(secondsSince1970: 253_402_300_799)

    init(secondsSince1970: Int64) {
        self.secondsSince1970 = secondsSince1970
    }

    static func < (lhs: HTTPDate, rhs: HTTPDate) -> Bool {
        lhs.secondsSince1970 < rhs.secondsSince1970
    }

    var description: String { self.imfFixdate }

    static let dayNames: [String] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
    static let monthNames: [String] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ]

    /// The preferred format, e.g. `Sun, 06 Nov 1994 08:49:37 GMT` (IMF-fixdate, RFC 9110 §5.6.7), which senders
    /// MUST generate. Dates outside ``earliest``...``latest`` are clamped so the year always has four digits.
    var imfFixdate: String {
        let seconds = min(max(self.secondsSince1970, Self.earliest.secondsSince1970), Self.latest.secondsSince1970)
        let (days, secondOfDay) = Self.floorDivide(seconds, by: 86_400)
        let (year, month, day) = Self.civilDate(daysSince1970: days)
        // 1970-01-01 was a Thursday (index 4).
        let weekday = Int(Self.floorDivide(days + 4, by: 7).remainder)
        let hour = secondOfDay / 3600
        let minute = secondOfDay / 60 % 60
        let second = secondOfDay % 60

        return String(unsafeUninitializedCapacity: 29) { buffer in
            var index = 0
            func put(_ byte: UInt8) {
                buffer[index] = byte
                index += 1
            }
            func putName(_ name: String) { for byte in name.utf8 { put(byte) } }
            func putDigits(_ value: Int64, count: Int) {
                var divisor: Int64 = 1
                for _ in 1..<count { divisor *= 10 }
                while divisor > 0 {
                    put(UInt8(ascii: "0") + UInt8(value / divisor % 10))
                    divisor /= 10
                }
            }
            putName(Self.dayNames[weekday])
            putName(", ")
            putDigits(day, count: 2)
            put(UInt8(ascii: " "))
            putName(Self.monthNames[Int(month) - 1])
            put(UInt8(ascii: " "))
            putDigits(year, count: 4)
            put(UInt8(ascii: " "))
            putDigits(hour, count: 2)
            put(UInt8(ascii: ":"))
            putDigits(minute, count: 2)
            put(UInt8(ascii: ":"))
            putDigits(second, count: 2)
            putName(" GMT")
            return index
        }
    }

    /// The number of days from 1970-01-01 to the given proleptic Gregorian date.
    ///
    /// Howard Hinnant's `days_from_civil` (http://howardhinnant.github.io/date_algorithms.html): exact for all
    /// years, no tables, no Foundation.
    static func daysSince1970(year: Int64, month: Int64, day: Int64) -> Int64 {
        let shiftedYear = month <= 2 ? year - 1 : year
        let era = Self.floorDivide(shiftedYear, by: 400).quotient
        let yearOfEra = shiftedYear - era * 400
        let dayOfYear = (153 * ((month + 9) % 12) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// The inverse of ``daysSince1970(year:month:day:)`` (Hinnant's `civil_from_days`).
    static func civilDate(daysSince1970 days: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let shifted = days + 719_468
        let era = Self.floorDivide(shifted, by: 146_097).quotient
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let shiftedMonth = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * shiftedMonth + 2) / 5 + 1
        let month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    static func isLeapYear(_ year: Int64) -> Bool {
        year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
    }

    static func daysInMonth(year: Int64, month: Int64) -> Int64 {
        switch month {
        case 2: Self.isLeapYear(year) ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    private static func floorDivide(_ value: Int64, by divisor: Int64) -> (quotient: Int64, remainder: Int64) {
        let quotient = value >= 0 ? value / divisor : (value - divisor + 1) / divisor
        return (quotient, value - quotient * divisor)
    }
}
