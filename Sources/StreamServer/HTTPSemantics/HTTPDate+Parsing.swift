extension HTTPDate {
    static let longDayNames: [String] = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"]

    /// Parses an HTTP-date (RFC 9110 §5.6.7): the IMF-fixdate `Sun, 06 Nov 1994 08:49:37 GMT`, and the obsolete
    /// `Sunday, 06-Nov-94 08:49:37 GMT` (RFC 850) and `Sun Nov  6 08:49:37 1994` (asctime) forms that recipients
    /// MUST accept. Returns nil for anything else, including a list of dates, which If-Modified-Since and
    /// If-Unmodified-Since MUST then ignore (§13.1.3, §13.1.4).
    ///
    /// HTTP-date is case-sensitive (§5.6.7), and so is this parser. The day name must be a valid one but is not
    /// checked against the date, as in Go and nginx. A seconds value of 60 (a leap second) is accepted and rolls
    /// into the next minute.
    init?(parsing value: String) {
        var scanner = DateScanner(bytes: HTTPFieldSyntax.trimmed(Array(value.utf8)[...]))
        // All three forms start with a day name; what follows its first three letters tells them apart.
        guard let weekday = scanner.name(in: DateScanner.dayKeys) else { return nil }
        let fields: Fields?
        if scanner.consume(UInt8(ascii: ",")) {
            fields = Self.imfFixdateFields(&scanner)
        } else if scanner.consume(UInt8(ascii: " ")) {
            fields = Self.asctimeFields(&scanner)
        } else if scanner.consume(DateScanner.longDaySuffixes[weekday]), scanner.consume(UInt8(ascii: ",")) {
            fields = Self.rfc850Fields(&scanner)
        } else {
            fields = nil
        }
        guard let fields, scanner.isAtEnd, fields.month >= 1, fields.day >= 1,
            fields.day <= Self.daysInMonth(year: fields.year, month: fields.month),
            fields.hour <= 23, fields.minute <= 59, fields.second <= 60
        else { return nil }
        let days = Self.daysSince1970(year: fields.year, month: fields.month, day: fields.day)
        self.init(secondsSince1970: days * 86_400 + fields.hour * 3600 + fields.minute * 60 + fields.second)
    }

    private typealias Fields = (year: Int64, month: Int64, day: Int64, hour: Int64, minute: Int64, second: Int64)

    /// After `day-name ","`: `SP day SP month SP year SP time-of-day SP "GMT"`.
    private static func imfFixdateFields(_ scanner: inout DateScanner) -> Fields? {
        guard scanner.consume(UInt8(ascii: " ")), let day = scanner.digits(2), scanner.consume(UInt8(ascii: " ")),
            let month = scanner.name(in: DateScanner.monthKeys), scanner.consume(UInt8(ascii: " ")),
            let year = scanner.digits(4),
            scanner.consume(UInt8(ascii: " ")), let time = scanner.timeOfDay(), scanner.consume(DateScanner.spaceGMT)
        else { return nil }
        return (year, Int64(month + 1), day, time.hour, time.minute, time.second)
    }

    /// After `day-name-l ","`: `SP day "-" month "-" 2DIGIT SP time-of-day SP "GMT"`.
    ///
    /// RFC 9110 wants a two-digit year read as the most recent past year with those digits unless that is more
    /// than 50 years ago; that needs a clock, and this type is pure. Like Go's `net/http`, we use a fixed pivot:
    /// 69-99 are 1969-1999, 00-68 are 2000-2068. Only clients from the last century send this form.
    private static func rfc850Fields(_ scanner: inout DateScanner) -> Fields? {
        guard scanner.consume(UInt8(ascii: " ")), let day = scanner.digits(2), scanner.consume(UInt8(ascii: "-")),
            let month = scanner.name(in: DateScanner.monthKeys), scanner.consume(UInt8(ascii: "-")),
            let shortYear = scanner.digits(2), scanner.consume(UInt8(ascii: " ")), let time = scanner.timeOfDay(),
            scanner.consume(DateScanner.spaceGMT)
        else { return nil }
        let year = shortYear >= 69 ? 1900 + shortYear : 2000 + shortYear
        return (year, Int64(month + 1), day, time.hour, time.minute, time.second)
    }

    /// After `day-name SP`: `month SP ( 2DIGIT / ( SP DIGIT ) ) SP time-of-day SP year`.
    private static func asctimeFields(_ scanner: inout DateScanner) -> Fields? {
        guard let month = scanner.name(in: DateScanner.monthKeys), scanner.consume(UInt8(ascii: " ")) else {
            return nil
        }
        let day = scanner.consume(UInt8(ascii: " ")) ? scanner.digits(1) : scanner.digits(2)
        guard let day, scanner.consume(UInt8(ascii: " ")), let time = scanner.timeOfDay(),
            scanner.consume(UInt8(ascii: " ")),
            let year = scanner.digits(4)
        else { return nil }
        return (year, Int64(month + 1), day, time.hour, time.minute, time.second)
    }
}

/// A forward-only cursor over the bytes of a date; every method either consumes what it matched or fails.
///
/// Plain index loops and three-letter names packed into integers: no generic algorithms, so the parser stays
/// fast even in debug builds, where the fuzz tests run it hundreds of thousands of times.
private struct DateScanner {
    static let dayKeys = HTTPDate.dayNames.map(Self.key)
    static let monthKeys = HTTPDate.monthNames.map(Self.key)
    /// What follows the three-letter abbreviation in each full day name ("day", "sday", "nesday", …).
    static let longDaySuffixes = HTTPDate.longDayNames.map { Array($0.utf8.dropFirst(3)) }
    static let spaceGMT = Array(" GMT".utf8)

    let bytes: ArraySlice<UInt8>
    var index: Int

    init(bytes: ArraySlice<UInt8>) {
        self.bytes = bytes
        self.index = bytes.startIndex
    }

    /// Three ASCII letters as one integer, compared in a single step.
    static func key(_ name: String) -> UInt32 {
        name.utf8.prefix(3).reduce(0) { $0 << 8 | UInt32($1) }
    }

    var isAtEnd: Bool { self.index == self.bytes.endIndex }

    mutating func consume(_ byte: UInt8) -> Bool {
        guard self.index < self.bytes.endIndex, self.bytes[self.index] == byte else { return false }
        self.index += 1
        return true
    }

    mutating func consume(_ literal: [UInt8]) -> Bool {
        guard self.bytes.endIndex - self.index >= literal.count else { return false }
        var offset = 0
        while offset < literal.count {
            if self.bytes[self.index + offset] != literal[offset] { return false }
            offset += 1
        }
        self.index += literal.count
        return true
    }

    /// Exactly `count` digits.
    mutating func digits(_ count: Int) -> Int64? {
        guard self.bytes.endIndex - self.index >= count else { return nil }
        var value: Int64 = 0
        var offset = 0
        while offset < count {
            let byte = self.bytes[self.index + offset]
            guard HTTPFieldSyntax.isDigit(byte) else { return nil }
            value = value * 10 + Int64(byte &- UInt8(ascii: "0"))
            offset += 1
        }
        self.index += count
        return value
    }

    /// The position in `keys` of the three-letter name at the cursor (case-sensitive).
    mutating func name(in keys: [UInt32]) -> Int? {
        guard self.bytes.endIndex - self.index >= 3 else { return nil }
        let i = self.index
        let key = UInt32(self.bytes[i]) << 16 | UInt32(self.bytes[i + 1]) << 8 | UInt32(self.bytes[i + 2])
        var position = 0
        while position < keys.count {
            if keys[position] == key {
                self.index += 3
                return position
            }
            position += 1
        }
        return nil
    }

    /// `time-of-day = hour ":" minute ":" second`, each two digits; ranges are checked by the caller.
    mutating func timeOfDay() -> (hour: Int64, minute: Int64, second: Int64)? {
        guard let hour = self.digits(2), self.consume(UInt8(ascii: ":")), let minute = self.digits(2),
            self.consume(UInt8(ascii: ":")),
            let second = self.digits(2)
        else { return nil }
        return (hour, minute, second)
    }
}
