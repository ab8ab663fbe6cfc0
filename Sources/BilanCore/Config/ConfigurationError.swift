/// A setting that is missing or malformed; printed as one line naming it.
public struct ConfigurationError: Error, CustomStringConvertible, Sendable {
    public var setting: String
    public var problem: String

    public init(setting: String, problem: String) {
        self.setting = setting
        self.problem = problem
    }

    public var description: String { "configuration error: \(setting): \(problem)" }
}
