import BilanCore
import BilanPush

extension ServiceChecks {
    /// Whether Web Push is on, and if so whether its two keys belong together
    /// (a wrong pair makes every push service refuse every message).
    func push() -> Result {
        guard let settings = configuration.push else {
            return Result(
                name: "push", ok: true,
                detail: "off: VAPID_PUBLIC_KEY, VAPID_PRIVATE_KEY, VAPID_SUBJECT not set (no Web Push, button hidden)")
        }
        do {
            _ = try VAPIDSigner(settings: settings)
        } catch {
            return Result(name: "push", ok: false, detail: "\(error)")
        }
        if configuration.pushAllowHTTP {
            return Result(
                name: "push", ok: true, detail: "on, but PUSH_ALLOW_HTTP=true accepts plain-http endpoints (test services only)",
                warning: true)
        }
        return Result(name: "push", ok: true, detail: "on: VAPID key pair valid, subject \(settings.subject)")
    }
}
