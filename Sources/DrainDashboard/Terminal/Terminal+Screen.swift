extension Terminal {
    /// Runs `body` with the terminal in curses mode, set up as every screen of `top` needs it, and
    /// restores the terminal before returning or throwing.
    ///
    /// The order matters: signals unblocked and the crash handler's stack in place before curses starts,
    /// stderr captured while the alternate screen hides it and replayed after `endwin`.
    /// - Throws: ``DashboardError`` when the terminal cannot be used; what `body` throws.
    static func withScreen<T>(_ configuration: DashboardConfiguration, _ body: (Terminal) throws -> T) throws -> T {
        TerminalSignals.unblockOnThisThread()
        CrashGuard.installAlternateStack()
        StderrCapture.begin()
        defer { StderrCapture.finish() }
        let terminal = try Terminal(
            useColor: configuration.useColor,
            inputTimeout: Int32(configuration.frameInterval / .milliseconds(1)),
            environment: configuration.environment
        )
        defer { terminal.end() }
        return try body(terminal)
    }
}
