import CLibpq

#if canImport(Glibc)
    import Glibc
#endif

/// One libpq connection: text queries, text results, blocking calls.
///
/// libpq is opened on the first connection (see CLibpq.h), not linked: the commands that never read the
/// fleet map none of it.
///
/// - Important: Not `Sendable`: libpq connections must not be used from two threads at once. Create it,
///   use it and drop it in one place.
final class LibpqConnection {
    private let connection: OpaquePointer
    let description: String

    /// Connects; libpq's own message when it cannot.
    /// - Throws: ``FleetError`` `libpqMissing` when libpq cannot be loaded, else `connectFailed`.
    init(_ url: FleetURL) throws {
        if let missing = Self.loaded { throw missing }
        // A reader must not hang on an unreachable host: libpq waits forever without a timeout.
        var conninfo = url.connectionString
        if !conninfo.contains("connect_timeout=") {
            conninfo += (conninfo.contains("?") ? "&" : "?") + "connect_timeout=5"
        }
        guard let connection = drain_PQconnectdb(conninfo) else {
            throw FleetError(.connectFailed, "cannot connect to \(url): out of memory")
        }
        // Checked before the connection is stored: deinit must not finish it a second time.
        guard drain_PQstatus(connection) == CONNECTION_OK else {
            let message = Self.trimmed(drain_PQerrorMessage(connection))
            drain_PQfinish(connection)
            throw FleetError(.connectFailed, "cannot connect to \(url): \(message)")
        }
        self.connection = connection
        self.description = url.description
    }

    deinit { drain_PQfinish(connection) }

    /// The rows of each statement of `sql` (several, separated by `;`), in one round trip.
    /// - Throws: ``FleetError`` `queryFailed` with the server's message.
    func query(_ sql: String) throws -> [[[String?]]] {
        try reconnectIfBroken()
        guard drain_PQsendQuery(connection, sql) == 1 else { throw failure("cannot send the query") }
        var results: [[[String?]]] = []
        var error: FleetError?
        while let result = drain_PQgetResult(connection) {
            defer { drain_PQclear(result) }
            switch drain_PQresultStatus(result) {
            case PGRES_TUPLES_OK: results.append(Self.rows(result))
            case PGRES_COMMAND_OK: results.append([])
            default:
                error = error ?? FleetError(.queryFailed, Self.trimmed(drain_PQresultErrorMessage(result)))
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
        guard let result = drain_PQexecParams(connection, sql, Int32(values.count), nil, values, nil, nil, 0) else {
            throw failure("the query failed")
        }
        defer { drain_PQclear(result) }
        guard drain_PQresultStatus(result) == PGRES_TUPLES_OK else {
            throw FleetError(.queryFailed, Self.trimmed(drain_PQresultErrorMessage(result)))
        }
        return Self.rows(result)
    }

    /// A connection the server dropped (a restart, a failover) is reset once before the next query.
    private func reconnectIfBroken() throws {
        guard drain_PQstatus(connection) != CONNECTION_OK else { return }
        drain_PQreset(connection)
        guard drain_PQstatus(connection) == CONNECTION_OK else {
            throw FleetError(
                .connectFailed,
                "lost the connection to \(description): \(Self.trimmed(drain_PQerrorMessage(connection)))")
        }
    }

    private func failure(_ what: String) -> FleetError {
        FleetError(.queryFailed, "\(what): \(Self.trimmed(drain_PQerrorMessage(connection)))")
    }

    private static func rows(_ result: OpaquePointer) -> [[String?]] {
        let count = drain_PQntuples(result)
        let fields = drain_PQnfields(result)
        return (0..<count).map { row in
            (0..<fields).map { field in
                drain_PQgetisnull(result, row, field) == 1 ? nil : String(cString: drain_PQgetvalue(result, row, field))
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

extension LibpqConnection {
    /// libpq's soname, as Debian's `libpq5` package installs it.
    static let library = "libpq.so.5"

    /// Why libpq could not be loaded, or nil once it is: Swift runs this initialiser once per process,
    /// which is what `drain_libpq_load` asks of its callers.
    private static let loaded: FleetError? = load(library)

    /// Opens `library` and resolves the functions the wrappers call through; the error to show when it
    /// cannot. Internal so that a test can name a library that does not exist; a failed load leaves the
    /// table as it was.
    static func load(_ library: String) -> FleetError? {
        let size = 512
        let buffer = UnsafeMutablePointer<CChar>.allocate(capacity: size)
        defer { buffer.deallocate() }
        buffer.initialize(repeating: 0, count: size)
        guard drain_libpq_load(library, buffer, size) == 0 else { return nil }
        return FleetError(
            .libpqMissing,
            "cannot load \(library), PostgreSQL's client library, which the fleet commands (--postgres) need: "
                + "\(String(cString: buffer)); install Debian's libpq5 package (apt-get install libpq5)")
    }
}

extension FleetError.Code {
    /// libpq, which only the fleet commands load, is not installed (Debian's `libpq5` package).
    public static let libpqMissing = FleetError.Code(rawValue: "libpq_missing")
}
