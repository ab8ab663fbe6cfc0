import Testing
import BilanTestSupport
@testable import BilanCore
@testable import BilanGeneration

/// SPEC §12 « Model », docs/REPORT-ENGINE.md « Model »: the request body
/// follows the model family (3.x `thinkingLevel`, 2.x `thinkingBudget`, never
/// both; `temperature` only when set; the schema only for pass 1), and the
/// models are tried in order, each dropped once it answered 404.
@Suite("Gemini request and model choice")
struct GeminiRequestTests {
    @Test(arguments: [
        ("gemini-3.6-flash", ModelFamily.gemini3), ("gemini-3.5-flash-lite", .gemini3), ("gemini-3-pro", .gemini3),
        ("gemini-2.5-flash", .gemini2), ("gemini-2.0-flash", .gemini2), ("gemini-2.5-pro-preview-06-05", .gemini2),
        ("gemini-flash-latest", .gemini3), ("gemini-pro-latest", .gemini3), ("models/gemini-3.6-flash", .gemini3),
        ("models/gemini-2.5-flash", .gemini2), ("gemini-1.5-flash", .older), ("gemini-10.0-ultra", .gemini3),
    ])
    func modelFamily(_ model: String, _ family: ModelFamily) {
        #expect(ModelFamily(model) == family, "\(model)")
    }

    static let request = GeminiRequest(
        systemInstruction: "Tu es conseiller.", prompt: "Bonjour", responseSchema: nil, maxOutputTokens: 8192)
    static let schema: JSONValue = ["type": "OBJECT", "properties": ["synthese": ["type": "STRING"]]]

    func config(_ model: String, _ settings: GenerationSettings = GenerationSettings(), schema: JSONValue? = nil) -> JSONValue {
        var request = Self.request
        request.responseSchema = schema
        return request.body(for: model, settings: settings)["generationConfig"] ?? .null
    }

    func keys(_ value: JSONValue?) -> [String] { (value?.objectValue ?? []).map(\.0) }

    @Test func gemini3GetsAThinkingLevelAndNoSampling() {
        let generation = config("gemini-3.6-flash")
        #expect(generation["thinkingConfig"] == ["thinkingLevel": "low"])
        #expect(generation["temperature"] == nil)
        #expect(generation["maxOutputTokens"] == .number(8192))
        #expect(Set(keys(generation)) == ["maxOutputTokens", "thinkingConfig"])
        let high = config("gemini-flash-latest", GenerationSettings(thinkingLevel: "high", thinkingBudget: 99))
        #expect(high["thinkingConfig"] == ["thinkingLevel": "high"])
    }

    @Test func gemini2GetsAThinkingBudgetOnly() {
        let generation = config("gemini-2.5-flash", GenerationSettings(thinkingLevel: "high", thinkingBudget: 2048))
        #expect(generation["thinkingConfig"] == ["thinkingBudget": .number(2048)])
        #expect(generation["temperature"] == nil)
    }

    @Test func temperatureOnlyWhenSet() {
        for model in ["gemini-3.6-flash", "gemini-2.5-flash", "gemini-1.5-flash"] {
            #expect(config(model)["temperature"] == nil, "\(model)")
            #expect(config(model, GenerationSettings(temperature: 0.7))["temperature"] == .number(0.7), "\(model)")
            #expect(config(model, GenerationSettings(temperature: 0))["temperature"] == .number(0), "\(model): 0 is a value")
        }
    }

    @Test func schemaOnlyWithASchema() {
        for model in ["gemini-3.6-flash", "gemini-2.5-flash"] {
            let without = config(model)
            #expect(without["responseSchema"] == nil && without["responseMimeType"] == nil)
            let with = config(model, schema: Self.schema)
            #expect(with["responseSchema"] == Self.schema)
            #expect(with["responseMimeType"] == "application/json")
        }
    }

    @Test(arguments: [
        "gemini-3.6-flash", "gemini-3.5-flash-lite", "gemini-2.5-flash", "gemini-2.0-flash", "gemini-flash-latest",
        "models/gemini-3.6-flash", "gemini-1.5-flash", "",
    ])
    func neverBothThinkingFields(_ model: String) {
        for settings in [GenerationSettings(), GenerationSettings(thinkingLevel: "minimal", thinkingBudget: 0, temperature: 1)] {
            let thinking = config(model, settings)["thinkingConfig"]
            #expect(!(thinking?["thinkingLevel"] != nil && thinking?["thinkingBudget"] != nil), "\(model)")
            #expect(keys(thinking).count <= 1, "\(model): \(keys(thinking))")
        }
    }

    @Test func bodyCarriesSystemAndPrompt() throws {
        let body = Self.request.body(for: "gemini-3.6-flash", settings: GenerationSettings())
        #expect(body["systemInstruction"]?["parts"]?.arrayValue?.first?["text"] == "Tu es conseiller.")
        let content = try #require(body["contents"]?.arrayValue?.first)
        #expect(content["role"] == "user")
        #expect(content["parts"]?.arrayValue?.first?["text"] == "Bonjour")
        // The body is what goes on the wire: it parses back.
        #expect(try JSONParser.parse(body.serialized) == body)
    }

    // MARK: model choice

    @Test func modelsInOrderWithoutDuplicates() {
        let choice = ModelChoice(primary: "gemini-3.6-flash", fallbacks: ["gemini-3.5-flash", "gemini-3.6-flash", "gemini-2.5-flash", "gemini-3.5-flash"])
        #expect(choice.all == ["gemini-3.6-flash", "gemini-3.5-flash", "gemini-2.5-flash"])
        #expect(choice.primary == "gemini-3.6-flash")
        #expect(choice.current == "gemini-3.6-flash")
        #expect(!choice.usingFallback)
    }

    @Test func givingUpMovesToTheNextModel() {
        let choice = ModelChoice(primary: "a", fallbacks: ["b", "c"])
        choice.giveUp("a")
        #expect(choice.current == "b")
        #expect(choice.usingFallback)
        // Giving up a model that is not the current one changes nothing
        // (a late 404 from a model already dropped).
        choice.giveUp("a")
        choice.giveUp("c")
        #expect(choice.current == "b")
        choice.giveUp("b")
        #expect(choice.current == "c")
        #expect(choice.usingFallback)
        choice.giveUp("c")
        #expect(choice.current == nil)
        #expect(!choice.usingFallback)
        choice.giveUp("c")
        #expect(choice.current == nil)
    }

    @Test func noFallback() {
        let choice = ModelChoice(primary: "gemini-3.6-flash", fallbacks: [])
        #expect(choice.all == ["gemini-3.6-flash"])
        choice.giveUp("gemini-3.6-flash")
        #expect(choice.current == nil)
    }
}
