/// The report PDF's name and date, the same in the mail's attachment and in
/// the download's `Content-Disposition` (SPEC §14): the day the bilan was
/// completed, in Europe/Paris, as the student saw it.
public enum ReportPDFName {
    /// `bilan-orientation-2026-12-02.pdf`.
    public static func fileName(completedAtMs: Int64) -> String {
        "bilan-orientation-\(ParisCalendar.today(nowMilliseconds: completedAtMs)).pdf"
    }
}
