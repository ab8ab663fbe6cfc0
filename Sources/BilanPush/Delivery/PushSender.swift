public import BilanCore
import BilanHTTP

/// A stored subscription: where to post, and the browser's keys.
public struct PushSubscriptionAddress: Equatable, Sendable {
    public var id: Int64
    public var subscription: PushSubscription

    public init(id: Int64, subscription: PushSubscription) {
        self.id = id
        self.subscription = subscription
    }
}

/// RFC 8030 delivery over libcurl (`BilanHTTP`): `POST` the encrypted body
/// to the endpoint with `TTL`, `Content-Encoding: aes128gcm`, `Urgency`,
/// `Topic` and the VAPID `Authorization`, and classify the answer.
public struct PushSender: PushDelivering {
    let signer: VAPIDSigner
    let policy: PushEndpointPolicy
    let timeoutSeconds: Int
    let now: @Sendable () -> Int64

    public init(
        signer: VAPIDSigner, policy: PushEndpointPolicy, timeoutSeconds: Int = 10,
        now: @escaping @Sendable () -> Int64 = { UTCTime.nowMilliseconds() / 1000 }
    ) {
        self.signer = signer
        self.policy = policy
        self.timeoutSeconds = timeoutSeconds
        self.now = now
    }

    public func deliver(_ message: PushMessage, to address: PushSubscriptionAddress) -> PushDeliveryOutcome {
        let endpoint = address.subscription.endpoint
        // Checked when stored; checked again so a row edited by hand or a
        // setting changed since cannot send a message in clear text or to a
        // host that is not a push service.
        guard let origin = PushEndpoint.origin(of: endpoint), policy.refusal(ofOrigin: origin) == nil else {
            return .rejected(detail: "endpoint not allowed (https and PUSH_SERVICE_HOSTS; PUSH_ALLOW_HTTP for http)")
        }
        let body: [UInt8]
        do {
            body = try PushEncryption.encrypt(message.payload, for: address.subscription)
        } catch .unusableSubscriptionKeys {
            // Keys that are not a curve point can never be used: like a 410.
            return .gone(status: 0)
        } catch {
            return .rejected(detail: "\(error)")
        }
        guard let authorization = signer.authorization(endpoint: endpoint, nowSeconds: now()) else {
            return .rejected(detail: "cannot sign for this endpoint")
        }
        var headers = [
            "Content-Type: application/octet-stream", "Content-Encoding: aes128gcm", "TTL: \(message.ttlSeconds)",
            "Urgency: \(message.urgency.rawValue)", "Authorization: \(authorization)",
        ]
        if let topic = message.topic { headers.append("Topic: \(topic)") }
        do {
            let curl = try CurlEasy()
            try curl.set(.url(endpoint))
            try curl.set(.headers(headers))
            try curl.postBody(body)
            try curl.set(.connectTimeout(seconds: min(5, timeoutSeconds)))
            try curl.set(.timeout(seconds: timeoutSeconds))
            _ = try curl.perform()
            return PushDeliveryOutcome.classify(status: curl.responseCode)
        } catch {
            // Timeouts and refused connections are the push service's
            // hiccups; any other transfer error would repeat itself.
            let detail = error.isTimeout ? "timeout: \(error.message)" : error.message
            return error.isTransient ? .retryLater(detail: detail) : .rejected(detail: detail)
        }
    }
}
