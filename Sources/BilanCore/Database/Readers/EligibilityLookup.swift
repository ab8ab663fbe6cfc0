/// Reads the eligibility facts of one user, on whatever runs the query (the
/// shared connection, or the create transaction's).
public enum EligibilityLookup {
    public static func facts(for user: String, run: (SQLStatement, [String?]) throws -> PGResult) throws -> EligibilityFacts {
        let result = try run(BilanQueries.eligibilityFacts, [user])
        let now = result.int64(0, 0) ?? UTCTime.nowMilliseconds()
        var payments: [EligibilityFacts.Payment] = []
        if let text = result.string(0, 1), let rows = try? JSONParser.parse(text).arrayValue {
            for row in rows {
                guard let plan = row.arrayValue?.first?.stringValue, let status = row.arrayValue?.last?.stringValue
                else { continue }
                payments.append(.init(plan: plan, status: status))
            }
        }
        var bilans: [EligibilityFacts.PastBilan] = []
        if let text = result.string(0, 2), let rows = try? JSONParser.parse(text).arrayValue {
            for row in rows {
                guard let fields = row.arrayValue, fields.count >= 3, let id = fields[0].stringValue,
                    let status = fields[1].stringValue.flatMap(BilanStatus.init(rawValue:)),
                    let created = fields[2].numberValue
                else { continue }
                let kind = fields.count > 3 ? fields[3].stringValue : nil
                bilans.append(.init(id: id, status: status, createdAtMs: Int64(created), failureKind: kind))
            }
        }
        return EligibilityFacts(payments: payments, bilans: bilans, nowMs: now)
    }
}
