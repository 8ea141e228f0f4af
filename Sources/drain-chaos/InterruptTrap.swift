import Dispatch
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Kills every running demo by pid when the harness itself is interrupted, then exits 128 + signal.
///
/// Without it, Ctrl-C (or a test's timeout) would leave a demo under load running forever.
final class InterruptTrap {
    private let sources: [any DispatchSourceSignal]

    /// Traps SIGINT, SIGTERM and SIGHUP until the trap is released.
    init() {
        sources = [SIGINT, SIGTERM, SIGHUP].map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler {
                DemoProcess.killAll()
                FileHandle.standardError.write(
                    Data("drain-chaos: interrupted by signal \(number); demos stopped\n".utf8))
                Glibc.exit(128 + number)
            }
            source.resume()
            return source
        }
    }

    deinit {
        for source in sources { source.cancel() }
    }
}
