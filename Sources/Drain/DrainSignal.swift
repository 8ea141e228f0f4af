import UnixSignals

/// The signals a ``WorkerPool`` reacts to.
///
/// The pool owns these signals because swift-service-lifecycle swallows a second SIGTERM: the first
/// `terminate` or `interrupt` drains with the default grace, a second one forces, `quit` forces at once.
public enum DrainSignal: String, Sendable, Hashable {
    case terminate = "SIGTERM"
    case interrupt = "SIGINT"
    case quit = "SIGQUIT"

    /// A stream of the process's real SIGTERM, SIGINT and SIGQUIT.
    ///
    /// - Important: Call this once per process, and leave these signals out of the `ServiceGroup`'s
    ///   `gracefulShutdownSignals` and `cancellationSignals`.
    public static func unixSignals() async -> AsyncStream<DrainSignal> {
        let sequence = await UnixSignalsSequence(trapping: .sigterm, .sigint, .sigquit)
        return AsyncStream { continuation in
            let task = Task {
                for await signal in sequence {
                    switch signal {
                    case .sigterm: continuation.yield(.terminate)
                    case .sigint: continuation.yield(.interrupt)
                    case .sigquit: continuation.yield(.quit)
                    default: continue
                    }
                }
                continuation.finish()
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }
}
