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

    /// The median duration of a kind before `--duration-scale`: what the demo declares with
    /// `--declare-durations` (an export's Pareto from 8 s with index 1.35 has its median at 8 · 2^(1/1.35)).
    static func typicalSeconds(_ kind: Kind) -> Double {
        switch kind {
        case .emailSend: 0.6
        case .thumbnailRender: 2
        case .invoicePDF: 4
        case .reportExport: 8 * pow(2, 1 / 1.35)
        }
    }

    /// The 90th percentile of a kind before `--duration-scale`, declared with the median: a log-normal's
    /// median · e^(1.2816 σ), an export's Pareto 8 · 10^(1/1.35).
    static func p90Seconds(_ kind: Kind) -> Double {
        switch kind {
        case .emailSend: 0.6 * exp(1.2816 * 0.6)
        case .thumbnailRender: 2 * exp(1.2816 * 0.5)
        case .invoicePDF: 4 * exp(1.2816 * 0.7)
        case .reportExport: 8 * pow(10, 1 / 1.35)
        }
    }

    /// The 99th percentile, declared with the others: the tail. A log-normal's median · e^(2.3263 σ), an
    /// export's Pareto 8 · 100^(1/1.35), far past where a log-normal through its median and p90 would put it.
    static func p99Seconds(_ kind: Kind) -> Double {
        switch kind {
        case .emailSend: 0.6 * exp(2.3263 * 0.6)
        case .thumbnailRender: 2 * exp(2.3263 * 0.5)
        case .invoicePDF: 4 * exp(2.3263 * 0.7)
        case .reportExport: 8 * pow(100, 1 / 1.35)
        }
    }

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
        let kind: Kind
        let seconds: Double
        switch pick {
        case ..<0.5:
            kind = .emailSend
            seconds = logNormal(median: 0.6, sigma: 0.6)
        case ..<0.75:
            kind = .thumbnailRender
            seconds = logNormal(median: 2, sigma: 0.5)
        case ..<0.9:
            kind = .invoicePDF
            seconds = logNormal(median: 4, sigma: 0.7)
        default:
            kind = .reportExport
            // Pareto tail: about one export in six runs longer than 30 s.
            seconds = min(600, 8 / pow(max(1e-9, uniform()), 1 / 1.35))
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
