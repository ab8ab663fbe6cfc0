import Testing
import BilanTestSupport
@testable import BilanCore
@testable import BilanGeneration

/// SPEC §7: reading `generateContent` answers and error bodies.
@Suite("Gemini response parsing")
struct GeminiResponseTests {
    func answer(_ body: String) -> Result<GeminiAnswer, GeminiError> {
        do {
            return .success(try GeminiResponseParser.answer(from: Array(body.utf8)))
        } catch {
            return .failure(error)
        }
    }

    func kind(_ body: String) -> GeminiError.Kind? {
        if case .failure(let error) = answer(body) { return error.kind }
        return nil
    }

    @Test func successTextAndTokens() throws {
        let body = """
            {"candidates":[{"content":{"role":"model","parts":[
               {"text":"Je réfléchis…","thought":true},
               {"text":"## Synthèse de votre profil\\n"},
               {"text":"Vous êtes en terminale."}]},
             "finishReason":"STOP","index":0}],
             "usageMetadata":{"promptTokenCount":1200,"candidatesTokenCount":800,"thoughtsTokenCount":300,"totalTokenCount":2300},
             "modelVersion":"gemini-2.5-flash"}
            """
        let result = try answer(body).get()
        #expect(result.text == "## Synthèse de votre profil\nVous êtes en terminale.")
        #expect(!result.text.contains("réfléchis"))
        #expect(result.promptTokens == 1200)
        #expect(result.outputTokens == 800)
        #expect(result.totalTokens == 2300)
        #expect(result.modelVersion == "gemini-2.5-flash")
    }

    @Test func missingFinishReasonAndUsageStillSucceeds() throws {
        let result = try answer(#"{"candidates":[{"content":{"parts":[{"text":"Bonjour"}]}}]}"#).get()
        #expect(result.text == "Bonjour")
        #expect(result.totalTokens == 0)
    }

    @Test func blockedPromptRefused() {
        #expect(kind(#"{"promptFeedback":{"blockReason":"SAFETY","safetyRatings":[]}}"#) == .refused)
        #expect(kind(#"{"candidates":[],"promptFeedback":{"blockReason":"OTHER"}}"#) == .refused)
    }

    @Test(arguments: ["RECITATION", "OTHER", "LANGUAGE", "FINISH_REASON_UNSPECIFIED"])
    func modelHiccupsAreRetriedNotRefused(_ reason: String) {
        #expect(kind(#"{"candidates":[{"content":{"parts":[{"text":"partiel"}]},"finishReason":"\#(reason)"}]}"#) == .retryable)
        #expect(kind(#"{"candidates":[{"finishReason":"\#(reason)"}]}"#) == .retryable)
    }

    @Test(arguments: ["SAFETY", "BLOCKLIST", "PROHIBITED_CONTENT", "SPII"])
    func refusedFinishReasons(_ reason: String) {
        let body = #"{"candidates":[{"content":{"parts":[{"text":"partiel"}]},"finishReason":"\#(reason)"}]}"#
        #expect(kind(body) == .refused)
        // Even without any text.
        #expect(kind(#"{"candidates":[{"finishReason":"\#(reason)"}]}"#) == .refused)
    }

    @Test func maxTokensIsTruncated() {
        let body = ###"{"candidates":[{"content":{"parts":[{"text":"## Synthèse… coupé"}]},"finishReason":"MAX_TOKENS"}]}"###
        #expect(kind(body) == .truncated)
    }

    @Test func emptyAnswersAreRetryable() {
        #expect(kind(#"{"candidates":[]}"#) == .retryable)
        #expect(kind(#"{}"#) == .retryable)
        #expect(kind(#"{"candidates":[{"content":{"parts":[]},"finishReason":"STOP"}]}"#) == .retryable)
        #expect(kind(#"{"candidates":[{"content":{"parts":[{"text":"  \n "}]},"finishReason":"STOP"}]}"#) == .retryable)
        #expect(kind(#"{"candidates":[{"content":{"parts":[{"text":"pensée","thought":true}]},"finishReason":"STOP"}]}"#) == .retryable)
    }

    @Test func malformedAnswersAreRetryable() {
        #expect(kind("") == .retryable)
        #expect(kind("<html>502 Bad Gateway</html>") == .retryable)
        #expect(kind(#"{"candidates":[{"content""#) == .retryable)
        #expect(kind("[]") == .retryable)
    }

    // MARK: error bodies

    static let perMinute429 = """
        {"error":{"code":429,"status":"RESOURCE_EXHAUSTED",
         "message":"You exceeded your current quota ... Please retry in 38.9s.",
         "details":[
          {"@type":"type.googleapis.com/google.rpc.QuotaFailure","violations":[{"quotaMetric":"generativelanguage.googleapis.com/generate_content_free_tier_requests","quotaId":"GenerateRequestsPerMinutePerProjectPerModel-FreeTier","quotaValue":"10"}]},
          {"@type":"type.googleapis.com/google.rpc.Help","links":[{"description":"Learn more","url":"https://ai.google.dev/gemini-api/docs/rate-limits"}]},
          {"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"38s"}]}}
        """

    static let perDay429 = """
        {"error":{"code":429,"status":"RESOURCE_EXHAUSTED","message":"Quota exceeded for requests per day.",
         "details":[
          {"@type":"type.googleapis.com/google.rpc.QuotaFailure","violations":[{"quotaId":"GenerateRequestsPerDayPerProjectPerModel-FreeTier","quotaValue":"250"}]},
          {"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"3600s"}]}}
        """

    func error(_ status: Int, _ body: String, retryAfter: String? = nil) -> GeminiError {
        GeminiResponseParser.error(status: status, body: Array(body.utf8), retryAfterHeader: retryAfter)
    }

    @Test func perMinuteQuotaRetryableWithDelay() {
        let failure = error(429, Self.perMinute429)
        #expect(failure.kind == .retryable)
        #expect(failure.retryAfterSeconds == 38)
        #expect(failure.httpStatus == 429)
    }

    @Test func fractionalRetryDelay() {
        let body = #"{"error":{"code":429,"details":[{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"45.837906927s"}]}}"#
        #expect(error(429, body).retryAfterSeconds == 45.837906927)
        #expect(GeminiResponseParser.parseDuration("38s") == 38)
        #expect(GeminiResponseParser.parseDuration("38") == nil)
    }

    @Test func retryAfterHeaderHonoured() {
        #expect(error(503, "", retryAfter: "12").retryAfterSeconds == 12)
        #expect(error(503, "", retryAfter: "12").kind == .retryable)
    }

    @Test func perDayQuotaIsExhausted() {
        #expect(error(429, Self.perDay429).kind == .exhausted)
    }

    @Test(arguments: [408, 429, 500, 502, 503, 504])
    func transientStatusesRetryable(_ status: Int) {
        let body = #"{"error":{"code":\#(status),"message":"The model is overloaded. Please try again later.","status":"UNAVAILABLE"}}"#
        #expect(error(status, body).kind == .retryable)
        #expect(error(status, "<html>gateway</html>").kind == .retryable)
        #expect(error(status, "").httpStatus == status)
    }

    @Test(arguments: [400, 401, 403])
    func clientErrorsRejected(_ status: Int) {
        let body = #"{"error":{"code":\#(status),"message":"API key not valid. Please pass a valid API key.","status":"INVALID_ARGUMENT","details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"API_KEY_INVALID"}]}}"#
        #expect(error(status, body).kind == .rejected)
        #expect(error(status, "").kind == .rejected)
    }

    /// SPEC §12: a retired or unknown model answers 404 NOT_FOUND; the client
    /// then asks the next configured model instead of failing the bilan.
    @Test func notFoundIsAMissingModel() {
        let body = #"{"error":{"code":404,"message":"models/gemini-2.5-flash is not found for API version v1beta, or is not supported for generateContent.","status":"NOT_FOUND"}}"#
        let failure = error(404, body)
        #expect(failure.kind == .modelMissing)
        #expect(failure.httpStatus == 404)
        #expect(failure.detail.contains("NOT_FOUND") && failure.detail.contains("gemini-2.5-flash"))
        // Whatever the body says.
        #expect(error(404, "").kind == .modelMissing)
        #expect(error(404, "<html>Not Found</html>").kind == .modelMissing)
    }

    @Test func modelVersionRead() throws {
        let body = #"{"candidates":[{"content":{"parts":[{"text":"Bonjour"}]},"finishReason":"STOP"}],"modelVersion":"gemini-3.6-flash-001"}"#
        #expect(try answer(body).get().modelVersion == "gemini-3.6-flash-001")
        // Absent: empty, not a failure.
        #expect(try answer(#"{"candidates":[{"content":{"parts":[{"text":"Bonjour"}]}}]}"#).get().modelVersion == "")
    }

    @Test func errorSummaryKeepsStatusAndMessage() {
        let failure = error(503, #"{"error":{"code":503,"message":"The model is overloaded.","status":"UNAVAILABLE"}}"#)
        #expect(failure.detail.contains("UNAVAILABLE"))
        #expect(failure.detail.contains("overloaded"))
    }
}
