import Drain
import Foundation
import Logging
import ServiceLifecycle

/// Submits synthetic jobs at a steady average rate until the pool stops accepting them, after the held
/// jobs (`--hold`), if any.
struct Producer: Service {
    /// The kind of a held job: it runs until the drain cancels it.
    static let holdKind = "hold"

    let pool: WorkerPool
    let work: SyntheticWork
    let rate: Double
    let limit: Int?
    let hold: Int
    let logger: Logger
    /// Where `accepted <id>` lines go, the acknowledgement a client would get.
    let recorder: JobRecorder?

    init(
        pool: WorkerPool, work: SyntheticWork, rate: Double, limit: Int?, hold: Int = 0, logger: Logger,
        recorder: JobRecorder?
    ) {
        self.pool = pool
        self.work = work
        self.rate = rate
        self.limit = limit
        self.hold = hold
        self.logger = logger
        self.recorder = recorder
    }

    func run() async throws {
        for _ in 0..<hold {
            do {
                let id = try await pool.submit(kind: Self.holdKind)
                recorder?.accepted(id)
            } catch {
                logger.error("cannot submit a held job", metadata: ["drain.error": "\(error)"])
                return
            }
        }
        guard rate > 0 else { return }
        await cancelWhenGracefulShutdown {
            var submitted = 0
            while limit.map({ submitted < $0 }) ?? true, !Task.isCancelled {
                let (kind, payload) = work.next()
                do {
                    let id = try await pool.submit(kind: kind.rawValue, payload: payload)
                    // Only now is the job durable: a line written earlier could name a job a crash lost.
                    recorder?.accepted(id)
                    submitted += 1
                } catch let error as DrainError where error.code == .notAccepting {
                    logger.info(
                        "the pool stopped accepting jobs; the producer stops",
                        metadata: ["drain.submitted": "\(submitted)"])
                    return
                } catch {
                    logger.error("submit failed", metadata: ["drain.error": "\(error)"])
                    return
                }
                // Exponential gaps: arrivals as a Poisson process, like real traffic.
                let gap = -log(max(1e-9, work.uniform())) / rate
                try? await Task.sleep(for: .milliseconds(Int64(gap * 1000)))
            }
        }
    }
}
