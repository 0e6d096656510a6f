import Foundation
import SignedURL
import Testing

@Suite("AmzDate")
struct AmzDateTests {
    @Test(
        "formats Unix timestamps",
        arguments: [
            (1_440_938_160.0, "20150830T123600Z"),
            (1_369_353_600.0, "20130524T000000Z"),
            (0.0, "19700101T000000Z"),
            (0.999, "19700101T000000Z"),
            (-1.0, "19691231T235959Z"),
            (-0.5, "19691231T235959Z"),
            (951_782_400.0, "20000229T000000Z"),
            (1_709_251_199.0, "20240229T235959Z"),
            (4_102_444_800.0, "21000101T000000Z"),
        ]
    )
    func format(_ seconds: Double, _ expected: String) {
        let date = Date(timeIntervalSince1970: seconds)
        #expect(AmzDate.timestamp(date) == expected)
        #expect(AmzDate.dateStamp(date) == String(expected.prefix(8)))
    }

    @Test("agrees with Foundation's Gregorian calendar")
    func matchesCalendar() {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2_000 {
            // 1900...2200
            let seconds = Double(Int64.random(in: -2_208_988_800...7_258_118_400, using: &generator))
            let date = Date(timeIntervalSince1970: seconds)
            let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
            let expected = String(
                format: "%04d%02d%02dT%02d%02d%02dZ",
                parts.year!,
                parts.month!,
                parts.day!,
                parts.hour!,
                parts.minute!,
                parts.second!
            )
            #expect(AmzDate.timestamp(date) == expected)
            #expect(AmzDate.parse(expected) == date)
        }
    }

    @Test("parses the CLI's --at form")
    func parse() {
        #expect(AmzDate.parse("20130524T000000Z") == Date(timeIntervalSince1970: 1_369_353_600))
        #expect(AmzDate.parse("20150830T123600Z") == Date(timeIntervalSince1970: 1_440_938_160))
        #expect(AmzDate.parse("20000229T000000Z") == Date(timeIntervalSince1970: 951_782_400))
        #expect(AmzDate.parse("19691231T235959Z") == Date(timeIntervalSince1970: -1))
    }

    @Test(
        "rejects anything else",
        arguments: [
            "", "20130524", "20130524T000000", "20130524T000000z", "20130524t000000Z", "2013-05-24T00:00:00Z",
            "20130524T000000ZZ", "20130230T000000Z", "19000229T000000Z", "20131324T000000Z", "20130500T000000Z",
            "20130524T240000Z", "20130524T006000Z", "20130524T000060Z", "+0130524T000000Z", "2013052４T000000Z",
            "20130524T00000.Z",
        ]
    )
    func rejects(_ text: String) {
        #expect(AmzDate.parse(text) == nil)
    }
}
