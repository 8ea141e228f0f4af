import ArgumentParser

extension Drainctl {
    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show one process's state.",
            discussion: """
                --all shows every live process of the run directory (with --json, an array of snapshots); it \
                exits 2 when one of them does not answer. --postgres summarises the fleet from its shared journal: \
                workers per phase, the lost ones with their jobs waiting for rescue, the shared queue.

                Examples:
                  drainctl status
                  drainctl status --json --socket /tmp/drainctl-0/shop.4242.sock
                  drainctl status --all
                  drainctl status --postgres postgres://drain@db/jobs
                """
        )

        @OptionGroup var target: TargetOptions
        @Flag(help: "Print the snapshot as JSON (snake_case keys).") var json = false
        @Flag(help: "Every process in the run directory.") var all = false
        @OptionGroup var fleet: FleetOptions

        func validate() throws {
            if fleet.postgres != nil, all || target.socket != nil {
                throw ValidationError("--postgres reads the fleet's journal; it takes no run directory options")
            }
            if all, target.socket != nil { throw ValidationError("--all and --socket exclude each other") }
        }

        func run() async throws {
            if let url = try fleet.url() {
                try FleetCommands.status(url, json: json)
                return
            }
            if all {
                let code = try await HostStatus(runDirectory: target.runDirectory, json: json).run()
                if code != 0 { throw ExitCode(code) }
                return
            }
            let code = QuickStatus(socket: target.socket, runDir: target.runDir, json: json).run()
            if code != 0 { throw ExitCode(code) }
        }
    }
}
