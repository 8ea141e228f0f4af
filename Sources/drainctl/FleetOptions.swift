import ArgumentParser
import DrainFleet

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// `--postgres URL`: the shared journal of a fleet, for the fleet's side of `ls`, `status` and `top`.
struct FleetOptions: ParsableArguments {
    @Option(
        name: .customLong("postgres"),
        help: ArgumentHelp(
            "The fleet's shared PostgreSQL journal (postgres://user@host/db?schema=drain): show its workers.",
            valueName: "url"))
    var postgres: String?

    /// The URL given, or (when `environment` is true) `DRAIN_POSTGRES_URL`; nil when neither is.
    /// - Throws: `ValidationError` for a URL that is not one.
    func url(orEnvironment environment: Bool = false) throws -> FleetURL? {
        let text = postgres ?? (environment ? ProcessInfo.processInfo.environment["DRAIN_POSTGRES_URL"] : nil)
        guard let text, !text.isEmpty else { return nil }
        do { return try FleetURL(text) } catch let error as FleetError { throw ValidationError(error.message) }
    }

    /// One read of the fleet; a failure prints its message and exits 2.
    static func read(_ url: FleetURL) throws -> FleetSnapshot {
        do {
            return try FleetReader(url: url).read()
        } catch let error as FleetError {
            printError(error.message)
            throw ExitCode(ExitCodes.connectionLost)
        }
    }
}
