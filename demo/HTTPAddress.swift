/// Where an HTTP listener binds: `127.0.0.1:8080`, `[::1]:0` (port 0 picks a free port).
struct HTTPAddress: Sendable, CustomStringConvertible {
    var host: String
    var port: Int

    /// Parses `HOST:PORT`; IPv6 hosts go in brackets.
    /// - Parameters:
    ///   - text: What the user gave.
    ///   - flag: The flag it came from, for the message (`--http`, `--metrics`).
    /// - Throws: ``HTTPFrontError`` `badAddress`.
    init(parsing text: String, flag: String = "--http") throws {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]),
            (0...65535).contains(port)
        else {
            throw HTTPFrontError(.badAddress, "\(flag) wants HOST:PORT (port 0 picks a free one), not '\(text)'")
        }
        var host = String(text[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty else { throw HTTPFrontError(.badAddress, "\(flag) needs a host, as in 127.0.0.1:\(port)") }
        self.host = host
        self.port = port
    }

    var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}
