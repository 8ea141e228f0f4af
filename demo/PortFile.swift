import Foundation

/// A file holding a bound port, for scripts and tests that start drain-demo on port 0.
enum PortFile {
    /// Writes `port` to `path` whole, then renames it into place, so a reader polling for the file never
    /// sees a partial port.
    /// - Throws: ``HTTPFrontError`` `portFile`.
    static func write(_ port: Int, to path: String) throws {
        let partial = path + ".partial"
        do {
            try Data("\(port)\n".utf8).write(to: URL(fileURLWithPath: partial))
            guard rename(partial, path) == 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        } catch {
            throw HTTPFrontError(.portFile, "cannot write the port to \(path)", cause: error)
        }
    }
}
