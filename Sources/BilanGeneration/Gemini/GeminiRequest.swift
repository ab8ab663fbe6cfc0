import BilanCore

/// One `generateContent` request, before a model is chosen.
public struct GeminiRequest: Sendable {
    public var systemInstruction: String
    public var prompt: String
    /// When set, the answer is JSON conforming to this OpenAPI-subset schema.
    public var responseSchema: JSONValue?
    public var maxOutputTokens: Int

    public init(systemInstruction: String, prompt: String, responseSchema: JSONValue?, maxOutputTokens: Int) {
        self.systemInstruction = systemInstruction
        self.prompt = prompt
        self.responseSchema = responseSchema
        self.maxOutputTokens = maxOutputTokens
    }

    /// The wire body for `model`: generation settings follow its family.
    func body(for model: String, settings: GenerationSettings) -> JSONValue {
        var generation: [(String, JSONValue)] = [("maxOutputTokens", .number(Double(maxOutputTokens)))]
        if let temperature = settings.temperature { generation.append(("temperature", .number(temperature))) }
        switch ModelFamily(model) {
        case .gemini3:
            generation.append(("thinkingConfig", ["thinkingLevel": .string(settings.thinkingLevel)]))
        case .gemini2:
            // Thinking tokens count against maxOutputTokens: a bounded budget
            // keeps room for the answer itself.
            generation.append(("thinkingConfig", ["thinkingBudget": .number(Double(settings.thinkingBudget))]))
        case .older:
            break
        }
        if let responseSchema {
            generation.append(("responseMimeType", "application/json"))
            generation.append(("responseSchema", responseSchema))
        }
        return [
            "systemInstruction": ["parts": [["text": .string(systemInstruction)]]],
            "contents": [["role": "user", "parts": [["text": .string(prompt)]]]],
            "generationConfig": .object(generation),
        ]
    }
}

/// The settings of SPEC §12 that depend on the model family.
public struct GenerationSettings: Sendable, Equatable {
    public var thinkingLevel: String
    public var thinkingBudget: Int
    public var temperature: Double?

    public init(thinkingLevel: String = "low", thinkingBudget: Int = 1024, temperature: Double? = nil) {
        self.thinkingLevel = thinkingLevel
        self.thinkingBudget = thinkingBudget
        self.temperature = temperature
    }

    public init(configuration: Configuration) {
        self.init(
            thinkingLevel: configuration.geminiThinkingLevel, thinkingBudget: configuration.geminiThinkingBudget,
            temperature: configuration.geminiTemperature)
    }
}

/// Which generation settings a model takes: Gemini 3 wants `thinkingLevel`,
/// Gemini 2 `thinkingBudget`, and sending both is a 400.
public enum ModelFamily: Equatable, Sendable {
    case gemini3
    case gemini2
    case older

    /// `gemini-3.6-flash` → 3.x; a name without a version (`gemini-flash-latest`)
    /// is an alias of the current family.
    public init(_ model: String) {
        let name = model.hasPrefix("models/") ? String(model.dropFirst(7)) : model
        let parts = name.split(separator: "-")
        guard parts.count >= 2, let major = parts[1].split(separator: ".").first.flatMap({ Int($0) }) else {
            self = .gemini3
            return
        }
        self = major >= 3 ? .gemini3 : major == 2 ? .gemini2 : .older
    }
}
