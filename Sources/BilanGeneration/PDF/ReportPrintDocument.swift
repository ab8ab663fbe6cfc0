import BilanCore
import BilanMarkdown

/// The print template (`templates/pdf/report.html`) filled in for one bilan:
/// the HTML WeasyPrint turns into the PDF. Pure, so the template's output is
/// unit-tested without WeasyPrint.
///
/// The report goes in as the sanitised HTML stored at completion (the report
/// is untrusted LLM output: raw HTML escaped, images dropped, off-list links
/// turned to text); a report completed before that HTML was stored is
/// rendered here by the same renderer, under the same rules. Everything else
/// is escaped by the template.
public struct ReportPrintDocument {
    /// The print template's folder under `templates/`: its CSS and any image
    /// it names live there, and WeasyPrint resolves relative URLs in it.
    public static let folder = TemplateNames.printFolder
    public static let templateName = TemplateNames.printDocument

    let templates: TemplateLibrary
    let wording: AnswerWording
    let linkHosts: Set<String>

    public init(templates: TemplateLibrary, wording: AnswerWording, linkHosts: [String]) {
        self.templates = templates
        self.wording = wording
        self.linkHosts = Set(linkHosts)
    }

    public func html(for source: PrintSource) throws -> String {
        let report = renderedReport(source)
        let answers = source.questionnaire.flatMap { try? JSONParser.parse($0) }
        let level = answers?["niveau"]?.stringValue.map { wording.label($0, of: "niveau") }
        let date = ParisCalendar.today(nowMilliseconds: source.completedAtMs)
        let values: [String: TemplateValue] = [
            "dateLong": .text(date.frenchLong),
            "dateNumeric": .text(date.frenchNumeric),
            "level": .text(level ?? ""),
            "profile": .text(answers.map { wording.profileSummary($0) } ?? ""),
            "toc": .list(report.sections.map { ["anchor": .text($0.anchor), "title": .text($0.title)] }),
            "reportHtml": .text(report.html),
            "helpCard": .bool(source.distressFlag),
        ]
        return try templates.template(Self.templateName).render(.object(values))
    }

    private func renderedReport(_ source: PrintSource) -> RenderedReport {
        if let html = source.reportHTML, let stored = RenderedReport(html: html, tocJSON: source.reportTOC) {
            return stored
        }
        return MarkdownRenderer.render(source.report, linkHosts: linkHosts)
    }
}
