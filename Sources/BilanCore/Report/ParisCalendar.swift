/// A day on the calendar, without a time zone.
public struct CivilDate: Comparable, Hashable, Sendable, CustomStringConvertible {
    public var year: Int
    public var month: Int
    public var day: Int

    public init(year: Int, month: Int, day: Int) {
        self.year = year
        self.month = month
        self.day = day
    }

    /// `YYYY-MM-DD`, or nil when the text is not a real date.
    public init?(iso text: Substring) {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
            let year = Int(parts[0]), let month = Int(parts[1]), let day = Int(parts[2]),
            (1...12).contains(month), (1...CivilDate.daysIn(month: month, year: year)).contains(day)
        else { return nil }
        self.init(year: year, month: month, day: day)
    }

    public static func < (a: CivilDate, b: CivilDate) -> Bool {
        (a.year, a.month, a.day) < (b.year, b.month, b.day)
    }

    public var description: String {
        "\(year)-\(month < 10 ? "0" : "")\(month)-\(day < 10 ? "0" : "")\(day)"
    }

    /// `01/04/2027`.
    public var frenchNumeric: String {
        "\(day < 10 ? "0" : "")\(day)/\(month < 10 ? "0" : "")\(month)/\(year)"
    }

    /// `1er avril 2027`.
    public var frenchLong: String {
        "\(day == 1 ? "1er" : String(day)) \(FrenchMonths.names[month - 1]) \(year)"
    }

    /// The school year this day belongs to: from 1 September of Y to 31 August
    /// of Y+1 is `Y-(Y+1)`.
    public var schoolYear: String {
        let start = month >= 9 ? year : year - 1
        return "\(start)-\(start + 1)"
    }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }
}

public enum FrenchMonths {
    public static let names = [
        "janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
        "novembre", "décembre",
    ]
}

/// The date in Europe/Paris, computed from the EU summer-time rule (last
/// Sunday of March to last Sunday of October, switching at 01:00 UTC) rather
/// than read from tzdata: the executables must not depend on the host's zone
/// files, and the rule has been stable since 1996.
public enum ParisCalendar {
    public static func today(nowMilliseconds: Int64 = UTCTime.nowMilliseconds()) -> CivilDate {
        let offsetHours: Int64 = isSummerTime(nowMilliseconds) ? 2 : 1
        return civil(nowMilliseconds + offsetHours * 3_600_000)
    }

    static func isSummerTime(_ milliseconds: Int64) -> Bool {
        let year = civil(milliseconds).year
        let starts = switchInstant(year: year, month: 3)
        let ends = switchInstant(year: year, month: 10)
        return milliseconds >= starts && milliseconds < ends
    }

    /// 01:00 UTC on the last Sunday of `month`.
    private static func switchInstant(year: Int, month: Int) -> Int64 {
        let lastDay = UTCTime.daysSinceEpoch(year: Int64(year), month: Int64(month), day: 31)
        // 1970-01-01 was a Thursday: (days + 4) % 7 is 0 on Sundays.
        let weekday = ((lastDay + 4) % 7 + 7) % 7
        return (lastDay - weekday) * 86_400_000 + 3_600_000
    }

    private static func civil(_ milliseconds: Int64) -> CivilDate {
        let days = milliseconds >= 0 ? milliseconds / 86_400_000 : -((-milliseconds + 86_399_999) / 86_400_000)
        let (year, month, day) = UTCTime.civilDate(daysSinceEpoch: days)
        return CivilDate(year: Int(year), month: Int(month), day: Int(day))
    }
}
