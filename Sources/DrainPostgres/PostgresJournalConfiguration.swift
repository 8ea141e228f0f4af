import Drain
import Foundation

/// How a ``PostgresJournal`` reaches its database and how it judges its fleet.
///
/// Build one from a URL with ``init(url:)``, then adjust the timings. The defaults suit a fleet on one
/// network: a heartbeat every second, a worker dead after five seconds of silence. The heartbeat doubles as the poll
/// that finds work when a notification was missed.
public struct PostgresJournalConfiguration: Sendable {
    /// Where the server listens.
    public enum Endpoint: Sendable, Hashable {
        case tcp(host: String, port: Int)
        /// The socket file itself (`<dir>/.s.PGSQL.<port>`), as libpq's `host=/dir` names it.
        case unixSocket(path: String)
    }

    /// Whether to encrypt the connection and check the server's certificate, as libpq's `sslmode` says,
    /// so one URL means the same to the workers (postgres-nio) and to `drainctl` (libpq).
    public enum TLSMode: String, Sendable, Hashable {
        /// Plain text.
        case disable
        /// TLS when the server offers it, its certificate not checked.
        case prefer
        /// TLS or no connection; the certificate not checked (encryption only, as libpq's `require`).
        case require
        /// TLS with a certificate signed by a trusted root (``rootCertificatePath``, else the system's).
        case verifyCA = "verify-ca"
        /// As ``verifyCA``, and the certificate names the host connected to.
        case verifyFull = "verify-full"
    }

    /// The roots a `verify-ca` or `verify-full` connection trusts (libpq's `sslrootcert`), PEM; nil: the
    /// system's trust store.
    public var rootCertificatePath: String?

    public var endpoint: Endpoint
    public var username: String
    public var password: String?
    public var database: String?
    public var tls: TLSMode = .disable

    /// The PostgreSQL schema that holds this fleet's tables; two fleets in one database use two schemas.
    /// A plain lower-case identifier (`[a-z_][a-z0-9_]*`, at most 48 characters).
    public var schema = "drain"

    /// This worker's name in the workers table (usually the service name).
    public var workerName = "drain"

    /// How often this worker records that it is alive.
    public var heartbeat: Duration = .seconds(1)

    /// How long a worker may be silent before it counts as dead and its running jobs are rescued.
    ///
    /// - Important: A job on a worker cut off from the database for longer than this may run twice:
    ///   handlers must be idempotent (delivery is at least once).
    public var lease: Duration = .seconds(5)

    /// How long the row of a worker that has been silent (stopped, or dead and rescued) stays in the
    /// workers table before a live worker deletes it.
    ///
    /// Every start of a process is a new worker, so without this the table grows with every deploy. A row
    /// that still holds running jobs is kept whatever its age: it is how a rescue finds them. The default
    /// outlasts the hour an operator may look back with `drainctl ls --postgres`.
    public var workerRetention: Duration = .seconds(3600)

    /// How much drain history the fleet keeps in its `drains` table: the newest 100 drains of all its
    /// workers, none older than 30 days, as the embedded journal keeps by default. Each worker prunes as it
    /// records its own drain, by the count and the age of the whole fleet's history.
    public var drainRetention = DrainHistoryRetention()

    /// How long one database call may take before it counts as failed.
    public var operationTimeout: Duration = .seconds(5)

    /// Connections in the client's pool (the listener has one more of its own).
    public var maximumConnections = 8

    public init(endpoint: Endpoint, username: String, password: String? = nil, database: String? = nil) {
        self.endpoint = endpoint
        self.username = username
        self.password = password
        self.database = database
    }

    /// Checks the schema name and the timings.
    /// - Throws: ``PostgresJournalError`` `invalidSchema` or `invalidConfiguration`.
    public func validate() throws {
        try Self.validate(schema: schema)
        guard heartbeat > .zero, operationTimeout > .zero else {
            throw PostgresJournalError(
                .invalidConfiguration, "the heartbeat and the operation timeout must be above zero")
        }
        guard lease >= heartbeat * 2 else {
            throw PostgresJournalError(
                .invalidConfiguration,
                "the lease (\(lease)) must be at least two heartbeats (\(heartbeat)), or live workers count as dead")
        }
        guard workerRetention >= lease else {
            throw PostgresJournalError(
                .invalidConfiguration,
                "the worker retention (\(workerRetention)) must be at least the lease (\(lease)), "
                    + "or rows of live workers could be deleted")
        }
        if let path = rootCertificatePath, access(path, R_OK) != 0 {
            throw PostgresJournalError(
                .invalidConfiguration, "sslrootcert '\(path)' cannot be read: \(String(cString: strerror(errno)))")
        }
        guard maximumConnections >= 1 else {
            throw PostgresJournalError(.invalidConfiguration, "maximumConnections must be at least 1")
        }
    }

    static func validate(schema: String) throws {
        let allowed = Set("abcdefghijklmnopqrstuvwxyz0123456789_")
        guard let first = schema.first, first == "_" || first.isLetter, schema.count <= 48,
            schema.allSatisfy({ allowed.contains($0) })
        else {
            throw PostgresJournalError(
                .invalidSchema, "the schema '\(schema)' must be a lower-case identifier: [a-z_][a-z0-9_]*, at most 48")
        }
    }
}
