import Testing

@testable import StreamServer

@Suite("HTTP-date (RFC 9110 §5.6.7)")
struct HTTPDateTests {
    @Test func theRFCExampleInAllThreeForms() {
        for form in ["Sun, 06 Nov 1994 08:49:37 GMT", "Sunday, 06-Nov-94 08:49:37 GMT", "Sun Nov  6 08:49:37 1994"] {
            #expect(HTTPDate(parsing: form)?.secondsSince1970 == 784_111_777, "\(form)")
        }
        #expect(HTTPDate(parsing: "Sun Nov 06 08:49:37 1994")?.secondsSince1970 == 784_111_777)
        #expect(HTTPDate(parsing: " \tSun, 06 Nov 1994 08:49:37 GMT ")?.secondsSince1970 == 784_111_777)
        #expect(HTTPDate(secondsSince1970: 784_111_777).imfFixdate == "Sun, 06 Nov 1994 08:49:37 GMT")
    }

    @Test(
        arguments: [
            (Int64(0), "Thu, 01 Jan 1970 00:00:00 GMT"), (-1, "Wed, 31 Dec 1969 23:59:59 GMT"),
            (951_825_600, "Tue, 29 Feb 2000 12:00:00 GMT"), (1_709_164_800, "Thu, 29 Feb 2024 00:00:00 GMT"),
            (946_684_800, "Sat, 01 Jan 2000 00:00:00 GMT"), (4_102_444_799, "Thu, 31 Dec 2099 23:59:59 GMT"),
            (-62_167_219_200, "Sat, 01 Jan 0000 00:00:00 GMT"), (253_402_300_799, "Fri, 31 Dec 9999 23:59:59 GMT"),
        ]
    )
    func formatsAndParses(_ seconds: Int64, _ text: String) {
        #expect(HTTPDate(secondsSince1970: seconds).imfFixdate == text)
        #expect(HTTPDate(parsing: text)?.secondsSince1970 == seconds)
    }

    @Test func clampsWhatFourDigitsCannotHold() {
        #expect(HTTPDate(secondsSince1970: .min).imfFixdate == HTTPDate.earliest.imfFixdate)
        #expect(HTTPDate(secondsSince1970: .max).imfFixdate == "Fri, 31 Dec 9999 23:59:59 GMT")
    }

    @Test func obsoleteFormsDetails() {
        #expect(HTTPDate(parsing: "Thursday, 01-Jan-70 00:00:00 GMT")?.secondsSince1970 == 0)
        #expect(
            HTTPDate(parsing: "Saturday, 01-Jan-69 00:00:00 GMT") == HTTPDate(parsing: "Wed, 01 Jan 1969 00:00:00 GMT")
        )
        #expect(
            HTTPDate(parsing: "Sunday, 01-Jan-68 00:00:00 GMT") == HTTPDate(parsing: "Sun, 01 Jan 2068 00:00:00 GMT")
        )
        #expect(HTTPDate(parsing: "Thu Jan  1 00:00:00 1970")?.secondsSince1970 == 0)
        // A leap second rolls into the next minute.
        #expect(
            HTTPDate(parsing: "Sat, 31 Dec 2016 23:59:60 GMT") == HTTPDate(parsing: "Sun, 01 Jan 2017 00:00:00 GMT")
        )
    }

    @Test(
        arguments: [
            "", "Sun, 06 Nov 1994 08:49:37 gmt", "Sun, 06 Nov 1994 08:49:37 UTC", "sun, 06 Nov 1994 08:49:37 GMT",
            "Sun, 06 nov 1994 08:49:37 GMT", "Sun 06 Nov 1994 08:49:37 GMT", "Sun, 6 Nov 1994 08:49:37 GMT",
            "Sun, 06 Nov 94 08:49:37 GMT", "Sun, 06 Nov 1994 08:49:37 GMT,", "Sun, 06 Nov 1994 08:49:37 GMTx",
            "Sun,  06 Nov 1994 08:49:37 GMT", "Sun, 06 Nov 1994 8:49:37 GMT", "Sun, 32 Jan 1994 08:49:37 GMT",
            "Sun, 00 Jan 1994 08:49:37 GMT", "Sun, 29 Feb 1900 08:49:37 GMT", "Sun, 29 Feb 2100 08:49:37 GMT",
            "Sun, 31 Apr 1994 08:49:37 GMT", "Sun, 06 Nov 1994 24:00:00 GMT", "Sun, 06 Nov 1994 08:60:37 GMT",
            "Sun, 06 Nov 1994 08:49:61 GMT", "Sun, 06 Nov 1994 08:49:37", "Sun, 06 Nov 1994 08:49:37 +0000",
            "Sunday, 06-Nov-1994 08:49:37 GMT", "Sunday, 06 Nov 94 08:49:37 GMT", "Sun, 06-Nov-94 08:49:37 GMT",
            "Sun Nov 6 08:49:37 1994", "Sun Nov  6 08:49:37 94", "Sun Nov  6 08:49:37 1994 GMT",
            "Xyz, 06 Nov 1994 08:49:37 GMT",
            "Sun, 06 Nov 1994 08:49:37 GMT, Sun, 06 Nov 1994 08:49:37 GMT", "784111777",
            "Sun, \u{663}6 Nov 1994 08:49:37 GMT",
        ]
    )
    func rejects(_ text: String) {
        #expect(HTTPDate(parsing: text) == nil)
    }

    /// The calendar arithmetic against a naive day-by-day calendar, 1600 to 2400.
    @Test func calendarMatchesADayByDayCount() {
        var (year, month, day): (Int64, Int64, Int64) = (1600, 1, 1)
        var days = HTTPDate.daysSince1970(year: 1600, month: 1, day: 1)
        while year < 2400 {
            let civil = HTTPDate.civilDate(daysSince1970: days)
            if HTTPDate.daysSince1970(year: year, month: month, day: day) != days || civil != (year, month, day) {
                Issue.record("day \(days): civil \(civil), expected \(year)-\(month)-\(day)")
                return
            }
            days += 1
            day += 1
            if day > HTTPDate.daysInMonth(year: year, month: month) { (day, month) = (1, month + 1) }
            if month > 12 { (month, year) = (1, year + 1) }
        }
        #expect(HTTPDate.daysSince1970(year: 1970, month: 1, day: 1) == 0)
    }

    @Test func randomDatesRoundTrip() {
        var random = SplitMix64(seed: 11)
        let span = UInt64(HTTPDate.latest.secondsSince1970 - HTTPDate.earliest.secondsSince1970 + 1)
        for _ in 0..<20_000 {
            let date = HTTPDate(secondsSince1970: HTTPDate.earliest.secondsSince1970 + Int64(random.next() % span))
            let text = date.imfFixdate
            if text.utf8.count != 29 || HTTPDate(parsing: text) != date {
                Issue.record("\(date.secondsSince1970) → \(text)")
                return
            }
        }
    }
}
