/// A browser's `PushSubscription` as `toJSON()` gives it (SPEC §14):
/// `{"endpoint", "keys": {"p256dh", "auth"}}`, checked before it is stored
/// so the generator never meets a subscription it cannot encrypt for.
public struct PushSubscription: Equatable, Sendable {
    /// Longest endpoint accepted: real push services use ~200–500 bytes; a
    /// longer one is not a push service's (SPEC §14: "over 2 KB").
    public static let maxEndpointBytes = 2048
    /// An uncompressed P-256 point: 0x04 ‖ X ‖ Y.
    public static let publicKeyBytes = 65
    public static let authSecretBytes = 16

    public var endpoint: String
    /// base64url, as the browser sent it (the key is checked, not re-encoded).
    public var p256dh: String
    public var auth: String

    public init(endpoint: String, p256dh: String, auth: String) {
        self.endpoint = endpoint
        self.p256dh = p256dh
        self.auth = auth
    }

    /// The subscription in `body`, or the field at fault.
    public static func validated(_ body: JSONValue, policy: PushEndpointPolicy) throws(PushSubscriptionError) -> PushSubscription {
        let endpoint = try validatedEndpoint(body, policy: policy)
        guard let keys = body["keys"], keys.objectValue != nil else {
            throw PushSubscriptionError(field: "keys", "Les clés de l'abonnement (keys.p256dh, keys.auth) manquent.")
        }
        guard let p256dh = keys["p256dh"]?.stringValue, let point = Base64.decodeURL(p256dh),
            point.count == publicKeyBytes, point.first == 0x04
        else {
            throw PushSubscriptionError(
                field: "keys.p256dh", "La clé keys.p256dh doit être une clé P-256 non compressée de 65 octets (base64url).")
        }
        guard let auth = keys["auth"]?.stringValue, Base64.decodeURL(auth)?.count == authSecretBytes else {
            throw PushSubscriptionError(field: "keys.auth", "Le secret keys.auth doit faire 16 octets (base64url).")
        }
        return PushSubscription(endpoint: endpoint, p256dh: p256dh, auth: auth)
    }

    /// The `endpoint` member alone: what an unsubscribe sends.
    public static func validatedEndpoint(_ body: JSONValue, policy: PushEndpointPolicy) throws(PushSubscriptionError) -> String {
        guard body.objectValue != nil else {
            throw PushSubscriptionError(field: nil, "L'abonnement doit être un objet JSON.")
        }
        guard let endpoint = body["endpoint"]?.stringValue, !endpoint.isEmpty else {
            throw PushSubscriptionError(field: "endpoint", "L'adresse endpoint de l'abonnement manque.")
        }
        guard endpoint.utf8.count <= maxEndpointBytes else {
            throw PushSubscriptionError(field: "endpoint", "L'adresse endpoint dépasse 2 Kio.")
        }
        guard let origin = PushEndpoint.origin(of: endpoint) else {
            throw PushSubscriptionError(field: "endpoint", "L'adresse endpoint n'est pas une URL valide.")
        }
        if let refusal = policy.refusal(ofOrigin: origin) {
            throw PushSubscriptionError(field: "endpoint", refusal)
        }
        return endpoint
    }
}

/// Where the generator may post a push: https (plain http only for a local
/// test service) and a push service's host. Without the host list a signed-in
/// user could make the generator post to any address it can reach (SSRF),
/// an internal one above all.
public struct PushEndpointPolicy: Sendable {
    /// The push services of Chrome/Android (FCM), Firefox, Safari and Edge;
    /// a listed name also admits its subdomains (`*.notify.windows.com`).
    public static let defaultHosts = [
        "fcm.googleapis.com", "updates.push.services.mozilla.com", "web.push.apple.com", "notify.windows.com",
    ]

    public var allowHTTP: Bool
    public var hosts: [String]

    public init(allowHTTP: Bool = false, hosts: [String] = PushEndpointPolicy.defaultHosts) {
        self.allowHTTP = allowHTTP
        self.hosts = hosts.map { $0.lowercased() }
    }

    /// Why an endpoint of this origin (`PushEndpoint.origin`) may not be used,
    /// in French for the browser's page; nil when it may.
    public func refusal(ofOrigin origin: String) -> String? {
        guard origin.hasPrefix("https://") || allowHTTP else {
            return "L'adresse endpoint doit commencer par https://."
        }
        var host = Substring(origin.drop { $0 != "/" }.dropFirst(2))
        if !host.hasSuffix("]"), let colon = host.lastIndex(of: ":") { host = host[..<colon] }
        guard hosts.contains(where: { host == $0 || host.hasSuffix("." + $0) }) else {
            return "L'adresse endpoint n'est pas celle d'un service de notification connu (PUSH_SERVICE_HOSTS)."
        }
        return nil
    }
}

/// Why a subscription is refused: the field at fault and a French sentence.
public typealias PushSubscriptionError = FieldError

/// What a push service's address tells: its origin, the VAPID `aud` (RFC 8292 §2).
public enum PushEndpoint {
    /// `scheme://host[:port]` of an http(s) URL with a host and no user
    /// information, lower-cased, default port omitted; nil for anything
    /// else, including spaces and control characters anywhere.
    public static func origin(of url: String) -> String? {
        guard url.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else { return nil }
        let lower = url.lowercased()
        let scheme: String
        if lower.hasPrefix("https://") {
            scheme = "https"
        } else if lower.hasPrefix("http://") {
            scheme = "http"
        } else {
            return nil
        }
        let authority = lower.dropFirst(scheme.count + 3).prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        guard !authority.isEmpty, !authority.contains("@"), !authority.hasPrefix(":") else { return nil }
        var host = authority
        if let colon = authority.lastIndex(of: ":"), !authority.hasSuffix("]") {
            let digits = authority[authority.index(after: colon)...]
            guard let port = Int(digits), (1...65535).contains(port), digits.allSatisfy(\.isNumber) else { return nil }
            if port == (scheme == "https" ? 443 : 80) { host = authority[..<colon] }
        }
        return "\(scheme)://\(host)"
    }
}
