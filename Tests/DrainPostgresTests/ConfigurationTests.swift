import DrainPostgres
import Testing

/// `--postgres URL` as an operator types it: every option, and a clear error for each mistake.
@Suite("PostgreSQL journal configuration")
struct ConfigurationTests {
    @Test("the URL's options set the schema, TLS, lease, heartbeat and retention")
    func options() throws {
        let configuration = try PostgresJournalConfiguration(
            url:
                "postgres://app:pw@db:5433/jobs?schema=shop&sslmode=verify-ca&sslrootcert=/etc/ca.pem&lease=4&heartbeat=0.5"
                + "&retention=600")
        #expect(configuration.username == "app" && configuration.password == "pw")
        #expect(configuration.database == "jobs")
        #expect(configuration.schema == "shop")
        #expect(configuration.tls == .verifyCA && configuration.rootCertificatePath == "/etc/ca.pem")
        #expect(configuration.lease == .seconds(4))
        #expect(configuration.heartbeat == .milliseconds(500))
        #expect(configuration.workerRetention == .seconds(600))
        let defaults = try PostgresJournalConfiguration(url: "postgres://app@db/jobs")
        #expect(defaults.workerRetention == .seconds(3600) && defaults.lease == .seconds(5))
    }

    @Test(
        "a bad URL or option is refused with what is wrong, the password never shown",
        arguments: [
            ("mysql://app:pw@db/jobs", "must start with postgres://"),
            ("postgres://app:pw@db/jobs?lease=soon", "lease must be a number of seconds above 0, not 'soon'"),
            ("postgres://app:pw@db/jobs?retention=-5", "retention must be a number of seconds above 0"),
            ("postgres://app:pw@db/jobs?colour=blue", "unknown option 'colour'"),
            (
                "postgres://app:pw@db/jobs?sslmode=maybe",
                "sslmode must be disable, prefer, require, verify-ca or verify-full"
            ),
            ("postgres://app:pw@db/jobs?schema=Drop;Table", "schema"),
        ])
    func badURL(url: String, message: String) {
        let error = #expect(throws: PostgresJournalError.self) { try PostgresJournalConfiguration(url: url) }
        #expect(error?.message.contains(message) == true, "\(error?.message ?? "no error")")
        #expect(error?.message.contains("pw") == false, "the password stays out of messages")
    }

    @Test(
        "timings that would make live workers count as dead, or delete their rows, are refused",
        arguments: [
            ("postgres://app@db/jobs?lease=1&heartbeat=1", "at least two heartbeats"),
            ("postgres://app@db/jobs?lease=10&retention=5", "retention"),
            ("postgres://app@db/jobs?sslmode=verify-full&sslrootcert=/nonexistent/root.crt", "cannot be read"),
        ])
    func badTimings(url: String, message: String) throws {
        let configuration = try PostgresJournalConfiguration(url: url)
        let error = #expect(throws: PostgresJournalError.self) { try configuration.validate() }
        #expect(error?.code == .invalidConfiguration)
        #expect(error?.message.contains(message) == true, "\(error?.message ?? "no error")")
    }
}
