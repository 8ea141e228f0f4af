import Drain
import Foundation
import Synchronization

/// Jobs of a few kinds with heavy-tailed durations: most finish in seconds, a few outlive a 30 s grace.
final class SyntheticWork: Sendable {
    enum Kind: String, CaseIterable {
        case emailSend = "email.send"
        case thumbnailRender = "thumbnail.render"
        case invoicePDF = "invoice.pdf"
        case reportExport = "report.export"
    }

    struct Payload: Codable {
        var ms: Int
        var fail: Bool
    }

    struct TransientFailure: Error, CustomStringConvertible {
        var description: String { "SMTP 451: try again later" }
    }

    /// How a kind's base duration (before `--duration-scale`) is drawn: the one place its parameters live,
    /// for the sampling and for the quantiles `--declare-durations` declares.
    enum Shape {
        case logNormal(median: Double, sigma: Double)
        /// From `minimum` seconds, with tail index `index`: P(longer than t) = (minimum / t)^index.
        case pareto(minimum: Double, index: Double)
    }

    static func shape(_ kind: Kind) -> Shape {
        switch kind {
        case .emailSend: .logNormal(median: 0.6, sigma: 0.6)
        case .thumbnailRender: .logNormal(median: 2, sigma: 0.5)
        case .invoicePDF: .logNormal(median: 4, sigma: 0.7)
        // Pareto tail: about one export in six runs longer than 30 s.
        case .reportExport: .pareto(minimum: 8, index: 1.35)
        }
    }

    /// A kind's quantile before `--duration-scale`, from the normal quantile `z` (for the log-normals) and
    /// the share of runs `exceeding` it (for the Pareto): the same quantile in each family's terms.
    private static func quantile(_ kind: Kind, z: Double, exceeding: Double) -> Double {
        switch shape(kind) {
        case .logNormal(let median, let sigma): median * exp(z * sigma)
        case .pareto(let minimum, let index): minimum * pow(1 / exceeding, 1 / index)
        }
    }

    /// The median, what the demo declares with `--declare-durations`.
    static func typicalSeconds(_ kind: Kind) -> Double { quantile(kind, z: 0, exceeding: 0.5) }

    /// The 90th percentile, declared with the median.
    static func p90Seconds(_ kind: Kind) -> Double { quantile(kind, z: 1.2816, exceeding: 0.1) }

    /// The 99th percentile, declared with the others: the tail. An export's is far past where a log-normal
    /// through its median and p90 would put it.
    static func p99Seconds(_ kind: Kind) -> Double { quantile(kind, z: 2.3263, exceeding: 0.01) }

    private let scale: Double
    private let random: Mutex<SplitMix64>

    init(scale: Double, seed: UInt64) {
        self.scale = scale
        self.random = Mutex(SplitMix64(seed: seed))
    }

    func uniform() -> Double { random.withLock { $0.nextUnit() } }

    /// Picks a kind and a base duration, fixed at submit time so that a rerun is the same job.
    func next() -> (Kind, Data) {
        let pick = uniform()
        let kind: Kind =
            switch pick {
            case ..<0.5: .emailSend
            case ..<0.75: .thumbnailRender
            case ..<0.9: .invoicePDF
            default: .reportExport
            }
        let seconds =
            switch Self.shape(kind) {
            case .logNormal(let median, let sigma): logNormal(median: median, sigma: sigma)
            case .pareto(let minimum, let index): min(600, minimum / pow(max(1e-9, uniform()), 1 / index))
            }
        // The base duration is stored; the scale applies when the job runs, so a restart with another
        // --duration-scale replays the same jobs faster or slower.
        let payload = Payload(ms: Int(seconds * 1000), fail: kind == .emailSend && uniform() < 0.02)
        return (kind, (try? JSONEncoder().encode(payload)) ?? Data())
    }

    func perform(_ job: Job, recorder: JobRecorder?) async throws {
        recorder?.started(job)
        let payload = (try? JSONDecoder().decode(Payload.self, from: job.payload)) ?? Payload(ms: 100, fail: false)
        try await Task.sleep(for: .milliseconds(Int64(Double(payload.ms) * scale)))
        if payload.fail {
            recorder?.failed(job)
            throw TransientFailure()
        }
        recorder?.finished(job)
    }

    private func logNormal(median: Double, sigma: Double) -> Double {
        // Box–Muller for a standard normal.
        let u1 = max(1e-12, uniform())
        let u2 = uniform()
        let normal = sqrt(-2 * log(u1)) * cos(2 * .pi * u2)
        return median * exp(sigma * normal)
    }
}

/// A small, fast, seedable generator, so a `--seed` replays the same workload.
struct SplitMix64 {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    mutating func nextUnit() -> Double { Double(next() >> 11) / Double(1 << 53) }
}
