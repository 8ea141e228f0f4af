import CLibpq

#if canImport(Glibc)
    import Glibc
#endif

/// One libpq connection: text queries, text results, blocking calls.
///
/// - Important: Not `Sendable`: libpq connections must not be used from two threads at once. Create it,
///   use it and drop it in one place.
final class LibpqConnection {
    private let connection: OpaquePointer
    let description: String

    /// Connects; libpq's own message when it cannot.
    /// - Throws: ``FleetError`` `connectFailed`.
    init(_ url: FleetURL) throws {
        // A reader must not hang on an unreachable host: libpq waits forever without a timeout.
        var conninfo = url.connectionString
        if !conninfo.contains("connect_timeout=") {
            conninfo += (conninfo.contains("?") ? "&" : "?") + "connect_timeout=5"
        }
        guard let connection = PQconnectdb(conninfo) else {
            throw FleetError(.connectFailed, "cannot connect to \(url): out of memory")
        }
        // Checked before the connection is stored: deinit must not finish it a second time.
        guard PQstatus(connection) == CONNECTION_OK else {
            let message = Self.trimmed(PQerrorMessage(connection))
            PQfinish(connection)
            throw FleetError(.connectFailed, "cannot connect to \(url): \(message)")
        }
        self.connection = connection
        self.description = url.description
    }

    deinit { PQfinish(connection) }

    /// The rows of each statement of `sql` (several, separated by `;`), in one round trip.
    /// - Throws: ``FleetError`` `queryFailed` with the server's message.
    func query(_ sql: String) throws -> [[[String?]]] {
        try reconnectIfBroken()
        guard PQsendQuery(connection, sql) == 1 else { throw failure("cannot send the query") }
        var results: [[[String?]]] = []
        var error: FleetError?
        while let result = PQgetResult(connection) {
            defer { PQclear(result) }
            switch PQresultStatus(result) {
            case PGRES_TUPLES_OK: results.append(Self.rows(result))
            case PGRES_COMMAND_OK: results.append([])
            default:
                error = error ?? FleetError(.queryFailed, Self.trimmed(PQresultErrorMessage(result)))
            }
        }
        if let error { throw error }
        return results
    }

    /// The rows of one statement with text parameters `$1`, `$2`, ….
    func query(_ sql: String, _ parameters: [String]) throws -> [[String?]] {
        try reconnectIfBroken()
        let copies = parameters.map { strdup($0) }
        defer { copies.forEach { free($0) } }
        let values = copies.map { UnsafePointer<CChar>($0) }
        guard let result = PQexecParams(connection, sql, Int32(values.count), nil, values, nil, nil, 0) else {
            throw failure("the query failed")
        }
        defer { PQclear(result) }
        guard PQresultStatus(result) == PGRES_TUPLES_OK else {
            throw FleetError(.queryFailed, Self.trimmed(PQresultErrorMessage(result)))
        }
        return Self.rows(result)
    }

    /// A connection the server dropped (a restart, a failover) is reset once before the next query.
    private func reconnectIfBroken() throws {
        guard PQstatus(connection) != CONNECTION_OK else { return }
        PQreset(connection)
        guard PQstatus(connection) == CONNECTION_OK else {
            throw FleetError(
                .connectFailed, "lost the connection to \(description): \(Self.trimmed(PQerrorMessage(connection)))")
        }
    }

    private func failure(_ what: String) -> FleetError {
        FleetError(.queryFailed, "\(what): \(Self.trimmed(PQerrorMessage(connection)))")
    }

    private static func rows(_ result: OpaquePointer) -> [[String?]] {
        let count = PQntuples(result)
        let fields = PQnfields(result)
        return (0..<count).map { row in
            (0..<fields).map { field in
                PQgetisnull(result, row, field) == 1 ? nil : String(cString: PQgetvalue(result, row, field))
            }
        }
    }

    private static func trimmed(_ message: UnsafeMutablePointer<CChar>?) -> String {
        guard let message else { return "no message" }
        // The first line is the message; the rest points into the SQL, which the reader wrote, not the user.
        let first = String(cString: message).split(separator: "\n").first.map(String.init) ?? ""
        return first.hasPrefix("ERROR:  ") ? String(first.dropFirst(8)) : first
    }
}
