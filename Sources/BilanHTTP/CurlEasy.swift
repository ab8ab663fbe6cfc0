internal import CCurl
#if canImport(Glibc)
import Glibc
#endif

/// A libcurl failure: the transfer's error code and libcurl's text.
public struct CurlError: Error, CustomStringConvertible, Sendable {
    public var code: Int
    public var message: String

    public var description: String { "curl error \(code): \(message)" }

    /// Timeouts and connection failures: worth retrying.
    public var isTransient: Bool {
        let transient: [CURLcode] = [
            CURLE_OPERATION_TIMEDOUT, CURLE_COULDNT_CONNECT, CURLE_COULDNT_RESOLVE_HOST, CURLE_RECV_ERROR,
            CURLE_SEND_ERROR, CURLE_GOT_NOTHING, CURLE_PARTIAL_FILE,
        ]
        return transient.contains { Int($0.rawValue) == code }
    }

    public var isTimeout: Bool { code == Int(CURLE_OPERATION_TIMEDOUT.rawValue) }
}

/// One libcurl easy handle: options as Swift values (`CurlOption`), every
/// return code checked, the C memory it points to (headers, recipients,
/// upload buffer) kept alive until `deinit`. No raw curl call, and no libcurl
/// constant, appears anywhere else.
public final class CurlEasy {
    private let handle: UnsafeMutableRawPointer
    private var lists: [UnsafeMutablePointer<curl_slist>] = []
    private var strings: [UnsafeMutablePointer<CChar>] = []
    private let buffers = TransferBuffers()

    /// Global init, once per process, before any handle (libcurl requires it).
    private static let globalInit: Void = { curl_global_init(Int(CURL_GLOBAL_DEFAULT)) }()

    public init() throws(CurlError) {
        _ = Self.globalInit
        guard let handle = curl_easy_init() else { throw CurlError(code: -1, message: "curl_easy_init failed") }
        self.handle = handle
        // No signals: timeouts must not rely on SIGALRM in a process that may have threads.
        try set(CURLOPT_NOSIGNAL, 1)
        try set(CURLOPT_WRITEDATA, Unmanaged.passUnretained(buffers).toOpaque())
        try check(ccurl_setopt_write_fn(handle, collectBody))
    }

    deinit {
        curl_easy_cleanup(handle)
        lists.forEach { curl_slist_free_all($0) }
        strings.forEach { free($0) }
    }

    /// Sets one option.
    public func set(_ option: CurlOption) throws(CurlError) {
        switch option {
        case .url(let url): try set(CURLOPT_URL, url)
        case .headers(let headers): try set(CURLOPT_HTTPHEADER, list: headers)
        case .connectTimeout(let seconds): try set(CURLOPT_CONNECTTIMEOUT, seconds)
        case .timeout(let seconds): try set(CURLOPT_TIMEOUT, seconds)
        case .mailFrom(let address): try set(CURLOPT_MAIL_FROM, address)
        case .mailRecipients(let addresses): try set(CURLOPT_MAIL_RCPT, list: addresses)
        case .customRequest(let command): try set(CURLOPT_CUSTOMREQUEST, command)
        case .noBody: try set(CURLOPT_NOBODY, 1)
        case .tls(let mode):
            let value: curl_usessl
            switch mode {
            case .none: value = CURLUSESSL_NONE
            case .required: value = CURLUSESSL_ALL
            }
            try set(CURLOPT_USE_SSL, Int(value.rawValue))
        case .username(let user): try set(CURLOPT_USERNAME, user)
        case .password(let password): try set(CURLOPT_PASSWORD, password)
        }
    }

    private func set(_ option: CURLoption, _ value: Int) throws(CurlError) {
        try check(ccurl_setopt_long(handle, option, value))
    }

    /// A string option; the copy lives as long as the handle (libcurl copies
    /// most strings, but not all, so we never rely on it).
    private func set(_ option: CURLoption, _ value: String) throws(CurlError) {
        let copy = strdup(value)!
        strings.append(copy)
        try check(ccurl_setopt_ptr(handle, option, copy))
    }

    private func set(_ option: CURLoption, _ pointer: UnsafeMutableRawPointer) throws(CurlError) {
        try check(ccurl_setopt_ptr(handle, option, pointer))
    }

    /// A list option (`CURLOPT_HTTPHEADER`, `CURLOPT_MAIL_RCPT`).
    private func set(_ option: CURLoption, list: [String]) throws(CurlError) {
        var head: UnsafeMutablePointer<curl_slist>? = nil
        for item in list { head = curl_slist_append(head, item) }
        guard let head else { return }
        lists.append(head)
        try check(ccurl_setopt_ptr(handle, option, head))
    }

    /// The bytes to upload (the mail for SMTP) or to POST.
    public func upload(_ bytes: [UInt8]) throws(CurlError) {
        buffers.upload = bytes
        buffers.uploadOffset = 0
        try set(CURLOPT_UPLOAD, 1)
        try set(CURLOPT_READDATA, Unmanaged.passUnretained(buffers).toOpaque())
        try check(ccurl_setopt_read_fn(handle, supplyUpload))
        try check(ccurl_setopt_off(handle, CURLOPT_INFILESIZE_LARGE, curl_off_t(bytes.count)))
    }

    /// A POST body; libcurl copies it.
    public func postBody(_ bytes: [UInt8]) throws(CurlError) {
        try check(ccurl_setopt_off(handle, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(bytes.count)))
        try check(bytes.withUnsafeBufferPointer { ccurl_setopt_ptr(handle, CURLOPT_COPYPOSTFIELDS, $0.baseAddress) })
    }

    /// Runs the transfer; returns the response body.
    public func perform() throws(CurlError) -> [UInt8] {
        buffers.body.removeAll(keepingCapacity: true)
        try check(curl_easy_perform(handle))
        return buffers.body
    }

    /// HTTP status or last SMTP reply code.
    public var responseCode: Int {
        var code = 0
        _ = ccurl_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &code)
        return code
    }

    private func check(_ code: CURLcode) throws(CurlError) {
        guard code != CURLE_OK else { return }
        throw CurlError(code: Int(code.rawValue), message: String(cString: curl_easy_strerror(code)))
    }
}

/// What the C callbacks read and fill, reached through their user pointer.
final class TransferBuffers {
    var body: [UInt8] = []
    var upload: [UInt8] = []
    var uploadOffset = 0
    /// Answers are bounded: a misbehaving server cannot exhaust memory.
    static let maxBody = 8 * 1024 * 1024
}

private func collectBody(_ data: UnsafeMutablePointer<CChar>?, _ size: Int, _ count: Int, _ context: UnsafeMutableRawPointer?) -> Int {
    guard let data, let context else { return 0 }
    let buffers = Unmanaged<TransferBuffers>.fromOpaque(context).takeUnretainedValue()
    let total = size * count
    guard buffers.body.count + total <= TransferBuffers.maxBody else { return 0 }
    data.withMemoryRebound(to: UInt8.self, capacity: total) {
        buffers.body.append(contentsOf: UnsafeBufferPointer(start: $0, count: total))
    }
    return total
}

private func supplyUpload(_ data: UnsafeMutablePointer<CChar>?, _ size: Int, _ count: Int, _ context: UnsafeMutableRawPointer?) -> Int {
    guard let data, let context else { return 0 }
    let buffers = Unmanaged<TransferBuffers>.fromOpaque(context).takeUnretainedValue()
    let remaining = buffers.upload.count - buffers.uploadOffset
    let chunk = min(remaining, size * count)
    guard chunk > 0 else { return 0 }
    buffers.upload.withUnsafeBytes { source in
        UnsafeMutableRawPointer(data).copyMemory(from: source.baseAddress! + buffers.uploadOffset, byteCount: chunk)
    }
    buffers.uploadOffset += chunk
    return chunk
}
