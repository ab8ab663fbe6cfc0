/// Why an input sent by the student's page is refused: the field at fault
/// (nil for the whole input) and a French sentence for the student. The
/// routes turn it into a 400 naming the field (SPEC §3).
public struct FieldError: Error, Equatable, Sendable {
    public var field: String?
    public var message: String

    public init(field: String?, _ message: String) {
        self.field = field
        self.message = message
    }
}
