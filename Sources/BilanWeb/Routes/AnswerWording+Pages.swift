import BilanCore
import Logging

extension AnswerWording {
    /// The labels for the pages, or nil (logged) when the file is unusable:
    /// a page without its profile line is better than no page.
    static func loadForPages(_ configuration: Configuration, logger: Logger) -> AnswerWording? {
        do {
            return AnswerWording(labels: try AnswerLabels.load(templatesDirectory: configuration.templatesDirectory))
        } catch {
            logger.error("labels unusable; pages show no profile line", metadata: ["cause": "\(error)"])
            return nil
        }
    }
}
