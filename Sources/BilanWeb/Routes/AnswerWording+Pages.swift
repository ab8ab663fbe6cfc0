import BilanCore

extension AnswerWording {
    /// The labels for the pages, or nil (logged) when the file is unusable:
    /// a page without its profile line is better than no page.
    static func loadForPages(_ context: WebContext) -> AnswerWording? {
        do {
            return AnswerWording(labels: try AnswerLabels.load(templatesDirectory: context.configuration.templatesDirectory))
        } catch {
            context.logger.error("labels unusable; pages show no profile line", metadata: ["cause": "\(error)"])
            return nil
        }
    }
}
