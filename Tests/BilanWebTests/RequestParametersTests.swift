import Testing
@testable import BilanCore
@testable import BilanWeb
#if canImport(Glibc)
import Glibc
#endif

/// FastCGI parameters read on demand from a `NAME=value` array, as libfcgi
/// hands them over: the same answers as the dictionary tests build.
@Suite("Request parameters read on demand")
struct RequestParametersTests {
    static let entries = [
        "REQUEST_METHOD=POST", "DOCUMENT_URI=/api/orientation/create", "QUERY_STRING=a=1&b=%C3%A9",
        "HTTP_COOKIE2=wrong", "HTTP_COOKIE=bilan_session=abc", "HTTP_COOKIE=second", "NOEQUALS",
        "CONTENT_TYPE=application/json; charset=utf-8", "HTTP_IF_NONE_MATCH=\"x\"", "EMPTY=",
    ]

    /// Calls `body` with a request over a NULL-terminated C copy of `entries`.
    func withListRequest(_ entries: [String], _ body: (Request) -> Void) {
        var list = entries.map { strdup($0) } + [nil]
        defer { list.forEach { free($0) } }
        list.withUnsafeMutableBufferPointer { buffer in
            body(Request(parameterList: buffer.baseAddress, body: [], bodyTooLarge: false))
        }
    }

    @Test func namesMatchWholeAndTheFirstWins() {
        withListRequest(Self.entries) { request in
            #expect(request.method == "POST")
            #expect(request.path == "/api/orientation/create")
            #expect(request.header("Cookie") == "bilan_session=abc")
            #expect(request.header("If-None-Match") == "\"x\"")
            #expect(request.mediaType == "application/json")
            #expect(request.queryParameter("b") == "é")
            #expect(request.param("EMPTY") == "")
            #expect(request.param("NOEQUALS") == nil)
            #expect(request.param("HTTP_COOKI") == nil)
            #expect(request.param("CONTENT_LENGTH") == nil)
        }
    }

    @Test func listAndDictionaryAgree() {
        let table = Self.dictionary(Self.entries)
        let fromTable = Request(params: table)
        withListRequest(Self.entries) { fromList in
            for name in ["REQUEST_METHOD", "DOCUMENT_URI", "QUERY_STRING", "HTTP_COOKIE", "HTTP_COOKIE2", "EMPTY", "NOEQUALS", "X"] {
                #expect(fromList.param(name) == fromTable.param(name), "\(name)")
            }
        }
    }

    @Test func anEmptyOrMissingListHasNoParameter() {
        withListRequest([]) { request in
            #expect(request.param("REQUEST_METHOD") == nil)
            #expect(request.method == "GET")
            #expect(request.path == "/")
        }
        #expect(Request(parameterList: nil, body: [], bodyTooLarge: false).header("Cookie") == nil)
    }

    /// What `Environment.variables` makes of the same array.
    static func dictionary(_ entries: [String]) -> [String: String] {
        var list = entries.map { strdup($0) } + [nil]
        defer { list.forEach { free($0) } }
        return list.withUnsafeMutableBufferPointer { Environment.variables($0.baseAddress) }
    }
}
