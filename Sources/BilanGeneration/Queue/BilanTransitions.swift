import BilanCore
import BilanMarkdown

/// What a generation run writes: a bilan's transitions (pass started, pass
/// checkpointed, completed, failed, requeued), its distress flag and the
/// Parcoursup programmes its terrain pass was given. A
/// protocol so `PassRunner` is tested without a database
/// (`Tests/…/PassRunnerTests.swift`).
public protocol GenerationStore {
    func startPass(_ id: String, step: Int) throws
    func saveCheckpoint(_ id: String, key: String, value: JSONValue, nextStep: Int, modelVersion: String) throws
    func complete(_ id: String, report: String, verdict: ReportVerdict, rendered: RenderedReport?) throws
    func fail(_ id: String, kind: FailureKind, message: String, detail: String, verdict: ReportVerdict?) throws
    func requeue(_ id: String, delaySeconds: Double, detail: String, countsAsAttempt: Bool) throws
    func flagDistress(_ id: String) throws
    func saveProgrammes(_ id: String, selection: ProgrammeSelection) throws
}

/// The bilan's state machine in PostgreSQL: PENDING (step 0…3) → COMPLETED
/// or FAILED, each transition one named statement guarded by the state it
/// leaves (`WHERE "status" = 'PENDING'`). Besides the create route's insert
/// (a new row, PENDING), these are the only writes of `"status"` and
/// `"progressStep"`.
public struct BilanTransitions: GenerationStore {
    let connection: PGConnection

    public init(connection: PGConnection) { self.connection = connection }

    public func startPass(_ id: String, step: Int) throws {
        try connection.query(GenerationQueries.setStep.sql, [id, String(step)])
    }

    public func saveCheckpoint(_ id: String, key: String, value: JSONValue, nextStep: Int, modelVersion: String) throws {
        try connection.query(GenerationQueries.saveCheckpoint.sql, [id, key, value.serialized, String(nextStep), modelVersion])
    }

    public func complete(_ id: String, report: String, verdict: ReportVerdict, rendered: RenderedReport?) throws {
        try connection.query(
            GenerationQueries.complete.sql,
            [id, report, verdict.json.serialized, rendered?.html, rendered?.tocJSON.serialized])
    }

    public func fail(_ id: String, kind: FailureKind, message: String, detail: String, verdict: ReportVerdict?) throws {
        try connection.query(GenerationQueries.fail.sql, [id, message, detail, kind.rawValue, verdict?.json.serialized])
    }

    /// Recovery's transition: PENDING → FAILED for a bilan that used up its
    /// attempts; false when it had left PENDING meanwhile.
    public func failAfterLastAttempt(_ id: String, maxAttempts: Int) throws -> Bool {
        let result = try connection.query(
            GenerationQueries.fail.sql,
            [id, BilanMessages.tooManyAttempts, "attempt limit (\(maxAttempts)) reached", FailureKind.attempts.rawValue, nil])
        return result.affectedRows == 1
    }

    /// The operator's `bilan-admin retry`: FAILED (or stuck PENDING) → PENDING
    /// with its attempts reset; false when there is no such bilan.
    public func requeueOnOperatorRequest(_ id: String) throws -> Bool {
        try connection.query(GenerationQueries.adminRetry.sql, [id]).rowCount == 1
    }

    public func requeue(_ id: String, delaySeconds: Double, detail: String, countsAsAttempt: Bool) throws {
        try connection.query(
            GenerationQueries.requeue.sql, [id, String(delaySeconds), detail, countsAsAttempt ? "true" : "false"])
    }

    public func flagDistress(_ id: String) throws {
        try connection.query(GenerationQueries.flagDistress.sql, [id])
    }

    public func saveProgrammes(_ id: String, selection: ProgrammeSelection) throws {
        try connection.query(GenerationQueries.saveProgrammes.sql, [id, selection.json.serialized])
    }
}
