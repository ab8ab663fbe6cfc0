#if canImport(Glibc)
import Glibc
#endif

/// The export file on disk, read in chunks: the size is checked before a
/// byte is read, the first chunk tells whether it is a CSV at all, and the
/// rest is handed on as it comes (a session is ~30 MB; nothing holds it whole).
struct ParcoursupFile {
    /// A session's export is about 30 MiB; anything far above is not one.
    static let maxBytes: Int64 = 256 << 20
    static let chunkBytes = 1 << 20

    let path: String
    let size: Int64
    private let fd: Int32

    init(path: String) throws(ParcoursupImportError) {
        var info = stat()
        guard stat(path, &info) == 0 else {
            throw ParcoursupImportError("\(path): \(String(cString: strerror(errno)))")
        }
        guard (info.st_mode & S_IFMT) == S_IFREG else { throw ParcoursupImportError("\(path): not a regular file") }
        guard info.st_size > 0 else { throw ParcoursupImportError("\(path): the file is empty: nothing imported") }
        guard Int64(info.st_size) <= Self.maxBytes else {
            throw ParcoursupImportError(
                "\(path): \(Self.megabytes(Int64(info.st_size))) is more than the \(Self.megabytes(Self.maxBytes)) "
                    + "an export can be (one session is about 30 MiB): not read, nothing imported")
        }
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw ParcoursupImportError("\(path): \(String(cString: strerror(errno)))") }
        self.path = path
        self.size = Int64(info.st_size)
        self.fd = fd
    }

    func close() { _ = Glibc.close(fd) }

    /// The next chunk, empty at the end of the file.
    func nextChunk() throws(ParcoursupImportError) -> [UInt8] {
        var chunk = [UInt8](repeating: 0, count: Self.chunkBytes)
        var filled = 0
        while filled < chunk.count {
            let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress! + filled, $0.count - filled) }
            if count < 0 {
                if errno == EINTR { continue }
                throw ParcoursupImportError("\(path): \(String(cString: strerror(errno)))")
            }
            if count == 0 { break }
            filled += count
        }
        chunk.removeLast(chunk.count - filled)
        return chunk
    }

    /// The header line of the first chunk, once it looks like text.
    func headerLine(of first: [UInt8]) throws(ParcoursupImportError) -> ArraySlice<UInt8> {
        if first.starts(with: [0x50, 0x4B, 0x03, 0x04]) {
            throw ParcoursupImportError("\(path): a zip archive (or an .xlsx workbook), not CSV: unzip it, or export the dataset as CSV")
        }
        if first.starts(with: [0x1F, 0x8B]) {
            throw ParcoursupImportError("\(path): a gzip-compressed file, not CSV: gunzip it first")
        }
        if first.contains(0) {
            throw ParcoursupImportError("\(path): binary data, not a CSV text file: nothing imported")
        }
        guard let end = first.firstIndex(of: 0x0A) else {
            throw ParcoursupImportError(
                first.count < Self.chunkBytes
                    ? "\(path): a header line and no data row: nothing imported"
                    : "\(path): no line break in the first MiB: not a CSV file")
        }
        return first[..<end]
    }

    static func megabytes(_ bytes: Int64) -> String {
        bytes >= 1 << 30
            ? FrenchNumber.text(Double(bytes) / Double(1 << 30)).replacing(",", with: ".") + " GiB"
            : "\(bytes >> 20) MiB"
    }
}
