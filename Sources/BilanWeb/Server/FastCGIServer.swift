import BilanCore
internal import CFastCGI
public import Logging
#if canImport(Glibc)
import Glibc
#endif

/// Serves a `RequestHandler` as a FastCGI responder when fd 0 is a listening
/// socket (spawn-fcgi, systemd socket activation) and as a plain CGI program
/// otherwise (fcgiwrap, any server's CGI).
public struct FastCGIServer {
    /// Bodies are read up to this many bytes; one byte more marks them too large.
    public static let bodyLimit = 64 * 1024

    let handler: any RequestHandler
    let logger: Logger
    /// Added to every answer, errors included (HSTS on an https site).
    let commonHeaders: [(String, String)]

    public init(handler: any RequestHandler, logger: Logger, commonHeaders: [(String, String)] = []) {
        self.handler = handler
        self.logger = logger
        self.commonHeaders = commonHeaders
    }

    public func run() {
        // A client that goes away must not kill the process in the middle of a write.
        signal(SIGPIPE, SIG_IGN)
        if FCGX_IsCGI() != 0 {
            serveOneCGIRequest()
        } else {
            serveFastCGI()
        }
    }

    /// The accept loop: libfcgi's SIGTERM handler makes `FCGX_Accept_r` return
    /// < 0 after the current request, which ends the loop gracefully.
    private func serveFastCGI() {
        guard FCGX_Init() == 0 else {
            logger.critical("FCGX_Init failed")
            exit(70)
        }
        let request = UnsafeMutablePointer<FCGX_Request>.allocate(capacity: 1)
        request.initialize(to: FCGX_Request())
        FCGX_InitRequest(request, 0, 0)
        Self.stopGracefullyOnQuit()
        logger.info("FastCGI responder started", metadata: ["pid": "\(getpid())"])
        while FCGX_Accept_r(request) >= 0 {
            let errorStream = request.pointee.err
            LogSink.write = { line in
                let text = line + "\n"
                _ = text.withCString { FCGX_PutStr($0, Int32(strlen($0)), errorStream) }
            }
            let incoming = readFastCGIRequest(request.pointee)
            let response = respond(to: incoming)
            writeFastCGI(response, to: request.pointee.out)
            FCGX_Finish_r(request)
            LogSink.write = LogSink.writeToStandardError
            response.afterFinish.forEach { $0() }
        }
        logger.info("FastCGI responder stopping", metadata: ["pid": "\(getpid())"])
    }

    /// SIGQUIT means "finish the request, then exit" (php-fpm's convention;
    /// Debian's multiwatch sends it for `-s TERM`). Without this handler the
    /// Swift runtime's backtracer would treat it as a crash. No SA_RESTART:
    /// a blocked accept() must return so the loop can end.
    private static func stopGracefullyOnQuit() {
        var action = sigaction()
        action.__sigaction_handler.sa_handler = { _ in FCGX_ShutdownPending() }
        sigemptyset(&action.sa_mask)
        action.sa_flags = 0
        sigaction(SIGQUIT, &action, nil)
    }

    private func serveOneCGIRequest() {
        // The environment lives as long as the process: read it on demand too.
        let declared = Environment.value(named: "CONTENT_LENGTH", in: environ).flatMap { Int($0) } ?? 0
        var body: [UInt8] = []
        var tooLarge = false
        if declared > 0 {
            // RFC 3875: read exactly CONTENT_LENGTH bytes, never relying on EOF.
            let wanted = min(declared, Self.bodyLimit + 1)
            body = readStandardInput(count: wanted)
            tooLarge = declared > Self.bodyLimit
        }
        let response = respond(to: Request(parameterList: environ, body: body, bodyTooLarge: tooLarge))
        writeAll(fd: 1, response.serializedHead() + response.body)
        close(1)
        response.afterFinish.forEach { $0() }
    }

    private func respond(to request: Request) -> Response {
        let started = UTCTime.monotonicSeconds()
        var response = handler.response(to: request, logger: logger)
        response.headers += commonHeaders
        let milliseconds = Int((UTCTime.monotonicSeconds() - started) * 1000)
        if response.status >= 500 || logger.logLevel <= .debug {
            logger.log(
                level: response.status >= 500 ? .warning : .debug, "request served",
                metadata: ["method": "\(request.method)", "path": "\(request.path)", "status": "\(response.status)", "ms": "\(milliseconds)"])
        }
        return response
    }

    private func readFastCGIRequest(_ request: FCGX_Request) -> Request {
        var body: [UInt8] = []
        // On the stack, not zeroed: most requests (the status polls) have no body.
        withUnsafeTemporaryAllocation(of: CChar.self, capacity: 16384) { chunk in
            // FastCGI ends the body with an empty record: read to EOF, up to the limit + 1.
            while body.count <= Self.bodyLimit {
                let count = Int(FCGX_GetStr(chunk.baseAddress!, Int32(chunk.count), request.in))
                if count <= 0 { break }
                body.append(contentsOf: UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(chunk)[..<count]))
            }
        }
        let tooLarge = body.count > Self.bodyLimit
        if tooLarge { body.removeLast(body.count - Self.bodyLimit) }
        // Parameters stay in libfcgi's array, read on demand: the request is
        // answered before `FCGX_Finish_r` frees it, and is not kept after.
        return Request(parameterList: request.envp, body: body, bodyTooLarge: tooLarge)
    }

    private func writeFastCGI(_ response: Response, to stream: UnsafeMutablePointer<FCGX_Stream>?) {
        let head = response.serializedHead()
        head.withUnsafeBufferPointer { buffer in
            buffer.baseAddress!.withMemoryRebound(to: CChar.self, capacity: buffer.count) {
                _ = FCGX_PutStr($0, Int32(buffer.count), stream)
            }
        }
        if !response.body.isEmpty {
            response.body.withUnsafeBufferPointer { buffer in
                buffer.baseAddress!.withMemoryRebound(to: CChar.self, capacity: buffer.count) {
                    _ = FCGX_PutStr($0, Int32(buffer.count), stream)
                }
            }
        }
    }

    private func readStandardInput(count: Int) -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: count)
        var filled = 0
        while filled < count {
            let got = buffer.withUnsafeMutableBytes { read(0, $0.baseAddress! + filled, count - filled) }
            if got < 0 && errno == EINTR { continue }
            if got <= 0 { break }
            filled += got
        }
        return Array(buffer[0..<filled])
    }

    private func writeAll(fd: Int32, _ bytes: [UInt8]) {
        var written = 0
        while written < bytes.count {
            let count = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + written, bytes.count - written) }
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { return }
            written += count
        }
    }
}
