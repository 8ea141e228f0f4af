import Foundation

/// drain-demo's synthetic durations (`demo/SyntheticWork.swift`), known exactly: the reference a
/// predictor that cannot see a job's payload could at best reach.
///
/// e-mails, thumbnails and invoices are log-normal (medians 0.6, 2 and 4 s; σ 0.6, 0.5 and 0.7); exports
/// are Pareto from 8 s with index 1.35, capped at 600 s; all multiplied by `--duration-scale`.
enum DemoWorkload {
    /// The chance that a job of `kind`, `scale`d, runs longer than `seconds` in all; nil for a kind the
    /// demo does not make.
    static func survival(_ kind: String, _ seconds: Double, scale: Double) -> Double? {
        func logNormal(_ median: Double, _ sigma: Double) -> Double {
            guard seconds > 0 else { return 1 }
            return 0.5 * erfc((log(seconds) - log(median * scale)) / (sigma * 2.0.squareRoot()))
        }
        switch kind {
        case "email.send": return logNormal(0.6, 0.6)
        case "thumbnail.render": return logNormal(2, 0.5)
        case "invoice.pdf": return logNormal(4, 0.7)
        case "report.export":
            let floor = 8 * scale
            if seconds < floor { return 1 }
            if seconds >= 600 * scale { return 0 }
            return pow(floor / seconds, 1.35)
        default: return nil
        }
    }

    /// P(still running `further` seconds from now | ran `age`), for the oracle predictor.
    static func pMiss(_ kind: String, age: Double, further: Double, scale: Double) -> Double {
        guard let now = survival(kind, age, scale: scale), now > 0,
            let later = survival(kind, age + max(0, further), scale: scale)
        else { return 1 }
        return min(1, later / now)
    }
}
