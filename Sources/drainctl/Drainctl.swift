import ArgumentParser

/// `drainctl`: watch and steer the graceful shutdown of services built on Drain.
///
/// The root of the command tree; the process starts in ``Entry``, which answers the plain forms of
/// `drainctl status` before this tree is built.
struct Drainctl: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "drainctl",
        abstract: "Watch and steer graceful shutdowns: live drain progress, deadline and ETA.",
        discussion: """
            Examples:
              drainctl demo                      start a demo service and watch it in `top`
              drainctl ls                        list the processes in the run directory
              drainctl status --json             one process's state as JSON
              drainctl shutdown --grace 30       drain with 30 s of grace and follow it to the end
              drainctl events                    stream events until the process stops
              drainctl top                       the live dashboard
              drainctl report --journal PATH     the drains a journal remembers; `report ID` draws one

            Exit codes: 0 success (or a clean drain); 1 the drain was forced; 2 the connection was lost \
            before the outcome; 3 no process to talk to (none, several, stale), or `top`/`demo` not on a \
            terminal; 4 the server refused the request; 64 bad arguments. `top` exits 129/130/143 after \
            SIGHUP/SIGINT/SIGTERM, with the terminal restored.
            """,
        subcommands: [Status.self, Ls.self, Shutdown.self, Events.self, Top.self, Demo.self, Report.self]
    )
}
