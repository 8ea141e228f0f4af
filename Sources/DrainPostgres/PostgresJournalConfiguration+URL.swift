import Foundation

extension PostgresJournalConfiguration {
    /// Reads a libpq-style URL: `postgres://user:password@host:port/database?schema=drain&sslmode=disable`.
    ///
    /// `postgresql://` works too. `host=/dir` in the query selects the Unix socket in that directory, as
    /// with libpq. Other query items: `schema`, `sslmode` (`disable`, `prefer`, `require`), `lease`
    /// and `heartbeat` in seconds.
    /// - Throws: ``PostgresJournalError`` `invalidURL` naming what is wrong.
    public init(url string: String) throws {
        guard let url = URLComponents(string: string) else {
            throw PostgresJournalError(.invalidURL, "'\(Self.redacted(string))' is not a URL")
        }
        guard url.scheme == "postgres" || url.scheme == "postgresql" else {
            throw PostgresJournalError(
                .invalidURL,
                "'\(Self.redacted(string))' must start with postgres:// or postgresql://, not \(url.scheme.map { "\($0)://" } ?? "nothing")"
            )
        }
        var items: [String: String] = [:]
        for item in url.queryItems ?? [] { items[item.name] = item.value ?? "" }
        let port = url.port ?? Int(items["port"] ?? "") ?? 5432
        let endpoint: Endpoint
        if let socketDirectory = items["host"], socketDirectory.hasPrefix("/") {
            endpoint = .unixSocket(path: "\(socketDirectory)/.s.PGSQL.\(port)")
        } else if let host = url.host, !host.isEmpty {
            endpoint = .tcp(host: host, port: port)
        } else {
            throw PostgresJournalError(
                .invalidURL, "'\(Self.redacted(string))' names no host (postgres://user@host/db or ?host=/socket/dir)")
        }
        guard let user = url.user, !user.isEmpty else {
            throw PostgresJournalError(
                .invalidURL, "'\(Self.redacted(string))' names no user (postgres://user@host/db)")
        }
        let database = url.path.hasPrefix("/") ? String(url.path.dropFirst()) : url.path
        self.init(
            endpoint: endpoint, username: user, password: url.password,
            database: database.isEmpty ? nil : database
        )
        for (name, value) in items {
            switch name {
            case "host", "port": break
            case "schema":
                try Self.validate(schema: value)
                schema = value
            case "sslmode":
                guard let mode = TLSMode(rawValue: value) else {
                    throw PostgresJournalError(
                        .invalidURL,
                        "sslmode must be disable, prefer, require, verify-ca or verify-full, not '\(value)'")
                }
                tls = mode
            case "sslrootcert": rootCertificatePath = value
            case "lease": lease = try Self.seconds(value, name)
            case "heartbeat": heartbeat = try Self.seconds(value, name)
            case "retention": workerRetention = try Self.seconds(value, name)
            default:
                throw PostgresJournalError(
                    .invalidURL,
                    "unknown option '\(name)' (known: host, port, schema, sslmode, sslrootcert, lease, heartbeat, retention)"
                )
            }
        }
    }

    private static func seconds(_ value: String, _ name: String) throws -> Duration {
        guard let seconds = Double(value), seconds > 0, seconds.isFinite else {
            throw PostgresJournalError(.invalidURL, "\(name) must be a number of seconds above 0, not '\(value)'")
        }
        return .milliseconds(Int64(seconds * 1000))
    }

    /// The URL without its password, for messages and logs.
    static func redacted(_ string: String) -> String {
        guard var url = URLComponents(string: string), url.password != nil else { return string }
        url.password = "***"
        return url.string ?? string
    }
}
