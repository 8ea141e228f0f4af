import DrainLocalPostgres
import DrainSpawn
import DrainTestSupport
import Foundation
import Testing

/// `drainctl report --postgres`'s refusals: each bad input a clear message and its exit code.
@Suite("drainctl report on a fleet: bad input", .timeLimit(.minutes(5)))
struct ReportCommandTests {
    @Test("bad spans and flag mixes are usage errors (64), each naming what is wrong")
    func usage() async throws {
        let url = "postgres://drain@127.0.0.1:1/jobs"
        let cases: [([String], String)] = [
            (["report", "--since", "2h", "--journal", "j.sqlite"], "--since draws a fleet's deploy"),
            (["report", "--postgres", url, "--since", "soon"], "is not a span"),
            (["report", "--postgres", url, "--since", "0m"], "is not a span"),
            (["report", "3", "--postgres", url, "--since", "2h"], "give no drain ID or --last"),
            (["report", "--postgres", url, "--since", "2h", "--svg", "x.svg"], "--svg draws one drain"),
            (["report", "--postgres", url, "--journal", "j.sqlite"], "not both"),
            (["report", "--postgres", "mysql://x"], "is not a postgres:// or postgresql:// URL"),
        ]
        for (arguments, message) in cases {
            let result = try await runDrainctl(arguments)
            #expect(result.code == 64, "\(arguments): \(result.out)")
            #expect(result.out.contains(message), "\(arguments): \(result.out)")
        }
    }

    @Test("an unreachable database exits 2; a schema without a journal exits 3 and says why")
    func unreachableAndEmpty() async throws {
        let refused = try await runDrainctl(["report", "--postgres", "postgres://drain@127.0.0.1:1/jobs"])
        #expect(refused.code == 2 && refused.out.contains("cannot connect"), "\(refused.out)")
        let server = try await LocalPostgres.shared()
        let empty = try await runDrainctl([
            "report", "--postgres", server.socketURL(schema: "no_such_fleet"), "--since", "1h",
        ])
        #expect(empty.code == 3, "\(empty.out)")
        #expect(empty.out.contains("cannot read the drain history of the fleet no_such_fleet"), "\(empty.out)")
    }
}
