#if canImport(Glibc)
    import Glibc
#endif

/// Where `drainctl` starts.
///
/// `drainctl status` is the command that runs most often (by hand, in a preStop hook, in a monitoring
/// loop), so it should cost what a small C client costs. Building ArgumentParser's command tree reflects
/// over every command's property wrappers, and the first `await` of a nonisolated async `run()` starts
/// Swift concurrency's worker threads; together they were most of the command's CPU (docs/STARTUP.md).
/// So the plain forms of `status` (``QuickStatus``) run here, synchronously, before either happens. The
/// same code answers them when they come through ArgumentParser (`Status.run`), and anything else
/// (`--help`, `--all`, `--postgres`, a typo, another command) goes to ArgumentParser as before, so the
/// messages, help and exit codes stay its own.
@main
enum Entry {
    static func main() async {
        if let status = QuickStatus(arguments: CommandLine.arguments.dropFirst()) {
            exit(status.run())
        }
        await Drainctl.main()
    }
}
