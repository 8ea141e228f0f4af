#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// The shared journal's URL, as the workers take it: a libpq URL plus the journal's own options.
///
/// `postgres://user:password@host:port/database?schema=drain&sslmode=disable`; `host=/dir` selects a Unix
/// socket. `schema` (default `drain`) names the fleet's tables; `lease` and `heartbeat` are the workers'
/// settings and mean nothing to a reader. libpq refuses options it does not know, so those three are
/// taken out before the rest goes to libpq.
public struct FleetURL: Sendable, Hashable, CustomStringConvertible {
    /// What goes to `PQconnectdb`.
    public let connectionString: String
    /// The schema holding the fleet's `workers` and `jobs` tables, checked to be a plain identifier.
    public let schema: String
    /// The URL without its password, for messages.
    public let description: String

    /// - Throws: ``FleetError`` `invalidURL` naming what is wrong.
    public init(_ string: String) throws {
        guard var url = URLComponents(string: string), url.scheme == "postgres" || url.scheme == "postgresql" else {
            throw FleetError(
                .invalidURL, "'\(Self.redacted(string))' is not a postgres:// or postgresql:// URL")
        }
        var schema = "drain"
        var kept: [URLQueryItem] = []
        for item in url.queryItems ?? [] {
            switch item.name {
            case "schema": schema = item.value ?? ""
            case "lease", "heartbeat", "retention": break
            default: kept.append(item)
            }
        }
        guard Self.isIdentifier(schema) else {
            throw FleetError(
                .invalidURL, "the schema '\(schema)' must be a lower-case identifier: [a-z_][a-z0-9_]*, at most 48")
        }
        url.queryItems = kept.isEmpty ? nil : kept
        guard let rebuilt = url.string else {
            throw FleetError(.invalidURL, "'\(Self.redacted(string))' cannot be rebuilt without its options")
        }
        self.connectionString = rebuilt
        self.schema = schema
        self.description = Self.redacted(string)
    }

    /// `[a-z_][a-z0-9_]*`, at most 48 characters: the schema is spliced into SQL, quoted.
    static func isIdentifier(_ name: String) -> Bool {
        guard let first = name.first, first == "_" || ("a"..."z").contains(first), name.count <= 48 else {
            return false
        }
        return name.allSatisfy { $0 == "_" || ("a"..."z").contains($0) || ("0"..."9").contains($0) }
    }

    static func redacted(_ string: String) -> String {
        guard var url = URLComponents(string: string), url.password != nil else { return string }
        url.password = "***"
        return url.string ?? string
    }
}
