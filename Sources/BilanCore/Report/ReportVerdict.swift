/// The outcome of one rule of the report check.
public struct ReportRuleResult: Sendable, Equatable {
    public var id: String
    public var hard: Bool
    public var ok: Bool
    public var detail: String

    public init(id: String, hard: Bool, ok: Bool, detail: String) {
        self.id = id
        self.hard = hard
        self.ok = ok
        self.detail = detail
    }
}

/// What the report check says of one report; stored in `"reportCheck"`.
public struct ReportVerdict: Sendable, Equatable {
    public var rules: [ReportRuleResult]
    public var words: Int
    /// Set by the generator: whether a repair call was made, and how many
    /// off-list links were turned into text before storing.
    public var repaired = false
    public var linksNeutralised = 0

    /// Every hard rule holds.
    public var passed: Bool { rules.allSatisfy { $0.ok || !$0.hard } }
    public var allPassed: Bool { rules.allSatisfy(\.ok) }
    public var broken: [ReportRuleResult] { rules.filter { !$0.ok } }
    public var brokenHard: [ReportRuleResult] { rules.filter { !$0.ok && $0.hard } }

    public func rule(_ id: String) -> ReportRuleResult? { rules.first { $0.id == id } }

    public var json: JSONValue {
        .object([
            ("passed", .bool(passed)),
            ("repaired", .bool(repaired)),
            ("linksNeutralised", .number(Double(linksNeutralised))),
            ("words", .number(Double(words))),
            ("broken", .array(broken.map { .string($0.id) })),
            ("rules", .array(rules.map { rule in
                .object([("id", .string(rule.id)), ("hard", .bool(rule.hard)), ("ok", .bool(rule.ok)), ("detail", .string(rule.detail))])
            })),
        ])
    }
}
