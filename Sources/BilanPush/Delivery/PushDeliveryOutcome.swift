/// What became of one message, as RFC 8030 §5 and RFC 8292 answers mean it,
/// and so what the notifier does with the subscription.
public enum PushDeliveryOutcome: Equatable, Sendable {
    /// 201 (or 200/202): the push service holds the message.
    case delivered
    /// 404/410: the subscription expired or was revoked: delete it.
    case gone(status: Int)
    /// 429, 5xx, a timeout or a connection failure: try again later (recovery).
    case retryLater(detail: String)
    /// Any other answer (400, 401/403 for VAPID, 413…): sending again would
    /// get the same answer; give up on this message and log it.
    case rejected(detail: String)

    /// The outcome of an HTTP answer from a push service.
    public static func classify(status: Int) -> PushDeliveryOutcome {
        switch status {
        case 200, 201, 202: return .delivered
        case 404, 410: return .gone(status: status)
        case 429, 500...599: return .retryLater(detail: "push service answered \(status)")
        default: return .rejected(detail: "push service answered \(status)")
        }
    }
}

/// Delivers encrypted messages; the real one is `PushSender`, tests use fakes.
public protocol PushDelivering {
    func deliver(_ message: PushMessage, to subscription: PushSubscriptionAddress) -> PushDeliveryOutcome
}

/// A message as RFC 8030 carries it: the plaintext (encrypted per
/// subscription), how long the service may keep it, how urgent it is, and a
/// topic that replaces an undelivered earlier message on the same topic.
public struct PushMessage: Equatable, Sendable {
    public enum Urgency: String, Sendable { case veryLow = "very-low", low, normal, high }

    public var payload: [UInt8]
    public var ttlSeconds: Int
    public var urgency: Urgency
    /// ≤ 32 base64url characters (RFC 8030 §5.4).
    public var topic: String?

    public init(payload: [UInt8], ttlSeconds: Int, urgency: Urgency = .normal, topic: String? = nil) {
        self.payload = payload
        self.ttlSeconds = ttlSeconds
        self.urgency = urgency
        self.topic = topic
    }
}
