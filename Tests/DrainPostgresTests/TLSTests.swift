import Drain
import DrainPostgres
import DrainTestSupport
import Foundation
import Testing

/// The journal over TLS against the test server's self-signed certificate, each `sslmode` as libpq means
/// it: `require` encrypts without checking the certificate, `verify-full` checks it against a root.
@Suite("PostgreSQL journal over TLS", .timeLimit(.minutes(5)))
struct TLSTests {
    /// A journal on `options` appended to the fleet's TCP URL; runs one append and returns the error, if any.
    func appendOne(_ fleet: Fleet, options: String) async throws -> (any Error)? {
        var configuration = try PostgresJournalConfiguration(url: fleet.server.url(schema: fleet.schema) + options)
        configuration.operationTimeout = .seconds(30)
        let journal = try PostgresJournal(configuration: configuration, logger: Fleet.logger)
        let service = Task { try await journal.run() }
        defer { service.cancel() }
        do {
            _ = try await journal.recover()
            _ = try await journal.append([NewJob(kind: "tls", payload: Data([1]))])
            return nil
        } catch {
            return error
        }
    }

    /// TLS connections to the server now, from the server's own view.
    func encryptedConnections(_ fleet: Fleet) async throws -> Int {
        Int(
            try await fleet.value(
                "SELECT count(*) FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid) WHERE s.ssl AND a.client_addr IS NOT NULL"
            )) ?? -1
    }

    @Test("sslmode=require encrypts without checking the certificate, as libpq's require does")
    func require() async throws {
        let fleet = try await Fleet()
        #expect(try await appendOne(fleet, options: "&sslmode=require") == nil)
        #expect(try await fleet.count("kind = 'tls'") == 1)
    }

    @Test("sslmode=verify-full with the server's certificate as root connects, and the connection is encrypted")
    func verifyFull() async throws {
        let fleet = try await Fleet()
        var configuration = try PostgresJournalConfiguration(
            url: fleet.server.url(schema: fleet.schema) + "&sslmode=verify-full&sslrootcert=\(fleet.server.certificate)"
        )
        configuration.operationTimeout = .seconds(30)
        let journal = try PostgresJournal(configuration: configuration, logger: Fleet.logger)
        let service = Task { try await journal.run() }
        defer { service.cancel() }
        _ = try await journal.recover()
        _ = try await journal.append([NewJob(kind: "tls", payload: Data([1]))])
        #expect(try await fleet.count("kind = 'tls'") == 1)
        // The journal's pool keeps its connections open: the server sees them encrypted.
        #expect(try await encryptedConnections(fleet) >= 1)
    }

    @Test("sslmode=verify-full against a certificate no trusted root signed fails with a clear error, writes nothing")
    func untrustedCertificate() async throws {
        let fleet = try await Fleet()
        let error = try #require(try await appendOne(fleet, options: "&sslmode=verify-full"))
        #expect("\(error)".lowercased().contains("certificate"), "\(error)")
        #expect(
            try await fleet.value(
                "SELECT count(*) FROM information_schema.schemata WHERE schema_name = '\(fleet.schema)'") == "0",
            "it never got as far as creating the schema")
    }
}
