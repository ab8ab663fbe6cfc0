import BilanCore

/// A usable answer: the text and the token counts for the log.
public struct GeminiAnswer: Sendable {
    public var text: String
    public var promptTokens: Int
    public var outputTokens: Int
    public var totalTokens: Int
    /// The model asked, and the exact version that answered (`modelVersion`).
    public var model = ""
    public var modelVersion = ""
}

/// Reads `generateContent` answers and error bodies (the wire format in
/// shared/reference/gemini-and-mail.md §1.3 and §2.1).
public enum GeminiResponseParser {
    /// The content itself was refused: no retry, and the student sees the
    /// help card (SPEC §12). Other finish reasons without an answer
    /// (RECITATION, LANGUAGE, OTHER…) are hiccups of the model, not a verdict
    /// on what the student wrote: retried like an empty answer.
    static let refusedReasons: Set<String> = ["SAFETY", "BLOCKLIST", "PROHIBITED_CONTENT", "SPII", "IMAGE_SAFETY"]
    static let retriedReasons: Set<String> = ["RECITATION", "LANGUAGE", "OTHER", "FINISH_REASON_UNSPECIFIED", "MALFORMED_FUNCTION_CALL"]

    /// An HTTP 200 body: the text of the first candidate, or why there is none.
    public static func answer(from body: [UInt8]) throws(GeminiError) -> GeminiAnswer {
        guard let json = try? JSONParser.parse(body), json.objectValue != nil else {
            throw GeminiError(.retryable, "malformed JSON answer (\(body.count) bytes)", httpStatus: 200)
        }
        if let reason = json["promptFeedback"]?["blockReason"]?.stringValue {
            throw GeminiError(.refused, "prompt blocked: \(reason)", httpStatus: 200)
        }
        guard let candidate = json["candidates"]?.arrayValue?.first else {
            throw GeminiError(.retryable, "no candidate in the answer", httpStatus: 200)
        }
        let finish = candidate["finishReason"]?.stringValue ?? "STOP"
        let text = (candidate["content"]?["parts"]?.arrayValue ?? [])
            .filter { $0["thought"]?.boolValue != true }
            .compactMap { $0["text"]?.stringValue }
            .joined()
        if finish == "MAX_TOKENS" {
            throw GeminiError(.truncated, "answer cut at maxOutputTokens (\(text.utf8.count) bytes)", httpStatus: 200)
        }
        if refusedReasons.contains(finish) {
            throw GeminiError(.refused, "finishReason \(finish)", httpStatus: 200)
        }
        if retriedReasons.contains(finish) {
            throw GeminiError(.retryable, "finishReason \(finish)", httpStatus: 200)
        }
        guard !text.trimmingSpaces().isEmpty else {
            throw GeminiError(.retryable, "empty text (finishReason \(finish))", httpStatus: 200)
        }
        let usage = json["usageMetadata"]
        func count(_ key: String) -> Int { Int(usage?[key]?.numberValue ?? 0) }
        return GeminiAnswer(
            text: text, promptTokens: count("promptTokenCount"), outputTokens: count("candidatesTokenCount"),
            totalTokens: count("totalTokenCount"), modelVersion: json["modelVersion"]?.stringValue ?? "")
    }

    /// A non-2xx answer, classified; `retryAfterHeader` is the `Retry-After` value if any.
    public static func error(status: Int, body: [UInt8], retryAfterHeader: String? = nil) -> GeminiError {
        let json = try? JSONParser.parse(body)
        let error = json?["error"]
        let statusName = error?["status"]?.stringValue ?? ""
        let message = error?["message"]?.stringValue ?? "HTTP \(status)"
        var retryDelay: Double? = retryAfterHeader.flatMap { Double($0.trimmingSpaces()) }
        var perDayQuota = false
        for detail in error?["details"]?.arrayValue ?? [] {
            if let delay = detail["retryDelay"]?.stringValue { retryDelay = parseDuration(delay) ?? retryDelay }
            for violation in detail["violations"]?.arrayValue ?? [] {
                if violation["quotaId"]?.stringValue?.contains("PerDay") == true { perDayQuota = true }
            }
        }
        let summary = "\(statusName.isEmpty ? "HTTP \(status)" : statusName): \(message.prefix(300))"
        switch status {
        case 429 where perDayQuota:
            return GeminiError(.exhausted, summary, httpStatus: status, retryAfterSeconds: retryDelay)
        case 404:
            return GeminiError(.modelMissing, summary, httpStatus: status)
        case 408, 429, 500, 502, 503, 504:
            return GeminiError(.retryable, summary, httpStatus: status, retryAfterSeconds: retryDelay)
        default:
            return GeminiError(.rejected, summary, httpStatus: status)
        }
    }

    /// A protobuf Duration string (`"38s"`, `"45.8s"`) in seconds.
    public static func parseDuration(_ text: String) -> Double? {
        guard text.hasSuffix("s") else { return nil }
        return Double(text.dropLast())
    }
}
