import CNcurses

/// ncursesw, opened with `dlopen` when a screen first starts rather than linked.
///
/// Linked, it made every `drainctl` command map libncursesw and libtinfo and relocate their symbols at
/// start-up, `drainctl status` too, though only `top` and `demo` draw (BENCHMARKS.md, "What each command
/// links"). The C side (`CNcurses`) holds the table of functions the ``Terminal`` calls through.
enum NcursesLibrary {
    /// ncursesw's soname, as Debian's `libncursesw6` package installs it.
    static let library = "libncursesw.so.6"

    /// Why ncursesw could not be loaded, or nil once it is: Swift runs this initialiser once per process,
    /// which is what `drain_ncurses_load` asks of its callers.
    private static let loaded: DashboardError? = load(library)

    /// Loads ncursesw on the first call; every later call answers the same.
    /// - Throws: ``DashboardError`` `ncursesMissing`, naming the library, the loader's reason and the
    ///   package to install.
    static func require() throws(DashboardError) {
        if let loaded { throw loaded }
    }

    /// Opens `library` and resolves the functions the wrappers call through; the error to show when it
    /// cannot. Internal so that a test can name a library that does not exist; a failed load leaves the
    /// table as it was.
    static func load(_ library: String) -> DashboardError? {
        let size = 512
        let buffer = UnsafeMutablePointer<CChar>.allocate(capacity: size)
        defer { buffer.deallocate() }
        buffer.initialize(repeating: 0, count: size)
        guard drain_ncurses_load(library, buffer, size) == 0 else { return nil }
        return DashboardError(
            .ncursesMissing,
            "cannot load \(library), the terminal library `drainctl top` draws with: \(String(cString: buffer)); "
                + "install Debian's libncursesw6 package (apt-get install libncursesw6), "
                + "or use `drainctl status` or `drainctl events`, which draw nothing")
    }
}
