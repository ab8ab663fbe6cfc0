import BilanCore
import BilanWeb

/// What the handlers read from request meta-variables: the `Cookie` header
/// (Cookies.parse / value), the query string (Request.queryParameter, as the
/// login routes read `returnTo`), the return path after login
/// (ReturnPath.sanitize), the bilan id in a URL path (BilanID.parse) and the
/// media type (Request.mediaType). All get the same input.
///
/// Properties: cookie names are non-empty and free of `;`, `=` and edge
/// spaces, values free of `;`; a session cookie we set reads back as set; a
/// return path is the fallback or the input itself, and can only name a path
/// on this site; a bilan id is canonical lower-case UUID and parses to itself.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: inputBytes(data, size), as: UTF8.self)

    checkCookies(text)
    checkReturnPath(text)
    let request = Request(params: ["QUERY_STRING": text, "CONTENT_TYPE": text, "HTTP_COOKIE": text])
    if let returnTo = request.queryParameter("returnTo") {
        checkReturnPath(returnTo)
    }
    require(request.header("Cookie") == text, "header lookup")
    if let type = request.mediaType {
        require(!type.contains(";") && type == type.lowercased() && type.trimmingSpaces() == type, "media type \(type.debugDescription)")
    }
    checkBilanID(text[...])
    // Page.swift parses the id from the path after a prefix: a slice, not a whole string.
    if !text.isEmpty { checkBilanID(text.dropFirst()) }
    return 0
}

private func checkCookies(_ header: String) {
    let cookies = Cookies.parse(header)
    let pieces = header.utf8.split(separator: 0x3B, omittingEmptySubsequences: false).count
    require(cookies.count <= pieces, "\(cookies.count) cookies from \(pieces) pieces")
    let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" }
    for (name, value) in cookies {
        require(!name.isEmpty, "empty cookie name")
        // Bytes, not Characters: a cookie header splits on the ASCII `;` and `=`
        // only, while Swift's Character `==` also matches U+037E (Greek
        // question mark), canonically equivalent to `;`.
        require(!name.utf8.contains(0x3B) && !name.utf8.contains(0x3D), "cookie name \(name.debugDescription)")
        require(!isSpace(name.first!) && !isSpace(name.last!), "cookie name not trimmed: \(name.debugDescription)")
        require(!value.utf8.contains(0x3B), "cookie value \(value.debugDescription)")
    }
    if let (name, value) = cookies.first {
        require(Cookies.value(named: name, in: header) == value, "value(named:) disagrees with parse")
    }
    // A cookie we set reads back as set, for names and tokens of the kind we issue.
    if let (name, value) = cookies.last, isToken(name), isToken(value) {
        let setCookie = Cookies.session(name: name, token: value, maxAgeSeconds: 60, secure: true)
        let back = Cookies.parse(setCookie)
        require(back.first.map { $0 == name && $1 == value } == true, "Set-Cookie does not read back: \(setCookie)")
        let expired = Cookies.parse(Cookies.expired(name: name, secure: false))
        require(expired.first.map { $0 == name && $1 == "" } == true, "expired cookie reads \(expired)")
    }
}

private func isToken(_ s: String) -> Bool {
    !s.isEmpty && s.utf8.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 | 0x20 >= 0x61 && $0 | 0x20 <= 0x7A) || $0 == 0x2D || $0 == 0x5F }
}

private func checkReturnPath(_ candidate: String) {
    let path = ReturnPath.sanitize(candidate)
    require(path == ReturnPath.fallback || path == candidate, "sanitize rewrote \(candidate.debugDescription) to \(path.debugDescription)")
    require(path.utf8.count <= 512, "return path longer than 512 bytes")
    require(path.hasPrefix("/") && !path.hasPrefix("//"), "return path \(path.debugDescription) may leave the site")
    // Browsers read `\` as `/` and drop tabs and line breaks: only visible ASCII, no backslash.
    require(path.utf8.allSatisfy { $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: "\\") }, "return path \(path.debugDescription)")
    require(ReturnPath.sanitize(path) == path, "sanitize not idempotent on \(path.debugDescription)")
}

private func checkBilanID(_ text: Substring) {
    guard let id = BilanID.parse(text) else { return }
    let bytes = Array(id.utf8)
    require(bytes.count == 36, "id \(id) is not 36 bytes")
    for (index, byte) in bytes.enumerated() {
        if [8, 13, 18, 23].contains(index) {
            require(byte == UInt8(ascii: "-"), "id \(id): no dash at \(index)")
        } else {
            require((byte >= 0x30 && byte <= 0x39) || (byte >= 0x61 && byte <= 0x66), "id \(id): byte \(byte) at \(index)")
        }
    }
    require(id == String(text).lowercased(), "id \(id) is not the input lower-cased")
    require(BilanID.parse(id) == id, "id \(id) does not parse to itself")
}
