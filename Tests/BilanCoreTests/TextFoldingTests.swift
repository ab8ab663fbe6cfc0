import Testing
@testable import BilanCore

/// Folding decides whether a distress phrase, a fact or an answer's words
/// appear in a text: every spelling of a French word must fold alike.
@Suite("Text folding")
struct TextFoldingTests {
    @Test func accentsCaseAndLigaturesFoldAway() {
        #expect(TextFolding.fold("Élève à l’ŒUVRE, garçon Noël") == "eleve a l'oeuvre, garcon noel")
        #expect(TextFolding.fold("Ça MARCHE") == "ca marche")
    }

    @Test func decomposedAccentsFoldLikePrecomposedOnes() {
        let decomposed = "e\u{301}le\u{300}ve, c\u{327}a"
        #expect(TextFolding.fold(decomposed) == TextFolding.fold("élève, ça"))
        #expect(TextFolding.fold(decomposed) == "eleve, ca")
    }

    @Test func everyApostropheIsTheASCIIOne() {
        for apostrophe in ["’", "‘", "ʼ", "`", "´", "'"] {
            #expect(TextFolding.fold("l\(apostrophe)avenir") == "l'avenir")
        }
    }

    @Test func lettersOutsideTheTableAreKept() {
        #expect(TextFolding.fold("Straße ß 日本 😀") == "straße ß 日本 😀")
    }

    @Test func wordsSplitOnApostrophesAndHyphensAndPhrasesMatchOnBoundaries() {
        #expect(TextFolding.words("L’après-midi, j'ai 2 cours.") == ["l", "apres", "midi", "j", "ai", "2", "cours"])
        #expect(TextFolding.spaced("Je n’en peux PLUS !") == " je n en peux plus ")
        #expect(!TextFolding.spaced("plusieurs").contains(" plus "))
    }
}
