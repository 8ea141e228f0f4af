import Foundation

/// How well one predictor did over a set of calibration drains.
struct CalibrationScore: Sendable, Codable {
    /// Predicted probability bucket against the observed miss rate.
    struct Bucket: Sendable, Codable {
        var low: Double
        var high: Double
        var jobs: Int
        var meanPredicted: Double
        var observedMissRate: Double

        private enum CodingKeys: String, CodingKey {
            case low, high, jobs
            case meanPredicted = "mean_predicted"
            case observedMissRate = "observed_miss_rate"
        }
    }

    var predictor: Predictor
    var jobs: Int
    var missed: Int
    /// Of the jobs that missed, the share "likely to miss" (P ≥ 0.5) named beforehand; nil without misses.
    var recall: Double?
    /// Of the jobs named likely to miss, the share that did; nil when none was named.
    var precision: Double?
    /// Mean squared difference between P(miss) and what happened (0 perfect, 0.25 a coin toss).
    var brier: Double?
    /// Mean |predicted count − actual count| per drain.
    var meanCountError: Double?
    /// Mean |ETA − actual time to the end| over clean drains that had an ETA.
    var meanEtaError: Double?
    /// Clean drains whose end fell inside the ETA's p50–p90 (the model only) and at or before its p90.
    var insideP50P90: Double?
    var atOrBeforeP90: Double?
    /// What the model itself expects of those two shares over the same clean drains: given that a drain
    /// ended before its deadline, its end lies in p50–p90 with probability (min(0.9, F) − 0.5)⁺ / F, F
    /// being the drain's P(all done by the deadline) = Π (1 − P(miss)). Most clean drains end before
    /// the p50, by construction.
    var expectedInsideP50P90: Double?
    var expectedAtOrBeforeP90: Double?
    var reliability: [Bucket]
    /// The largest |observed − mean predicted| over the buckets holding at least
    /// ``reliableBucketJobs`` jobs; nil when none does.
    var worstReliabilityGap: Double?

    /// Fewer jobs than this in a bucket make its observed rate too noisy to judge (issue 19's rule).
    static let reliableBucketJobs = 20

    private enum CodingKeys: String, CodingKey {
        case predictor, jobs, missed, recall, precision, brier, reliability
        case worstReliabilityGap = "worst_reliability_gap"
        case meanCountError = "mean_count_error"
        case meanEtaError = "mean_eta_error"
        case insideP50P90 = "inside_p50_p90"
        case atOrBeforeP90 = "at_or_before_p90"
        case expectedInsideP50P90 = "expected_inside_p50_p90"
        case expectedAtOrBeforeP90 = "expected_at_or_before_p90"
    }

    init(_ predictor: Predictor, drains: [DrainObservation]) {
        self.predictor = predictor
        var pairs: [(p: Double, missed: Bool)] = []
        var countErrors: [Double] = []
        var etaErrors: [Double] = []
        var inside = 0
        var before = 0
        var expectedInside: [Double] = []
        var expectedBefore: [Double] = []
        var clean = 0
        for drain in drains {
            for job in drain.jobs { pairs.append((predictor.pMiss(job, in: drain), job.missed)) }
            countErrors.append(abs(predictor.expectedMisses(in: drain) - Double(drain.actualMisses)))
            guard drain.outcome == .clean else { continue }
            clean += 1
            if let eta = predictor.eta(in: drain) { etaErrors.append(abs(eta - drain.actualRemaining)) }
            if predictor == .model {
                // A null percentile lies past the deadline, so after the end of a clean drain.
                let actual = drain.actualRemaining
                let afterP50 = drain.etaP50Seconds.map { actual >= $0 } ?? false
                let beforeP90 = drain.etaP90Seconds.map { actual <= $0 } ?? true
                if afterP50, beforeP90 { inside += 1 }
                if beforeP90 { before += 1 }
                let allDone = drain.jobs.reduce(1.0) { $0 * (1 - ($1.pMiss ?? 0)) }
                if allDone > 0 {
                    expectedInside.append(max(0, min(0.9, allDone) - 0.5) / allDone)
                    expectedBefore.append(min(0.9, allDone) / allDone)
                }
            }
        }
        jobs = pairs.count
        missed = pairs.filter(\.missed).count
        let named = pairs.filter { $0.p >= 0.5 }
        let hits = named.filter(\.missed).count
        recall = missed > 0 ? Double(hits) / Double(missed) : nil
        precision = named.isEmpty ? nil : Double(hits) / Double(named.count)
        brier = Self.mean(pairs.map { ($0.p - ($0.missed ? 1 : 0)) * ($0.p - ($0.missed ? 1 : 0)) })
        meanCountError = Self.mean(countErrors)
        meanEtaError = Self.mean(etaErrors)
        insideP50P90 = predictor == .model && clean > 0 ? Double(inside) / Double(clean) : nil
        atOrBeforeP90 = predictor == .model && clean > 0 ? Double(before) / Double(clean) : nil
        expectedInsideP50P90 = Self.mean(expectedInside)
        expectedAtOrBeforeP90 = Self.mean(expectedBefore)
        reliability = (0..<10).compactMap { index in
            let low = Double(index) / 10
            let high = low + 0.1
            let inBucket = pairs.filter { $0.p >= low && ($0.p < high || (index == 9 && $0.p <= 1)) }
            guard !inBucket.isEmpty else { return nil }
            return Bucket(
                low: low, high: high, jobs: inBucket.count,
                meanPredicted: inBucket.map(\.p).reduce(0, +) / Double(inBucket.count),
                observedMissRate: Double(inBucket.filter(\.missed).count) / Double(inBucket.count))
        }
        worstReliabilityGap = reliability.filter { $0.jobs >= Self.reliableBucketJobs }
            .map { abs($0.observedMissRate - $0.meanPredicted) }.max()
    }

    private static func mean(_ values: [Double]) -> Double? {
        values.isEmpty ? nil : values.reduce(0, +) / Double(values.count)
    }
}
