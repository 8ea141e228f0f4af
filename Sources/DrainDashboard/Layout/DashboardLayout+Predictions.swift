import DrainProtocol

extension DashboardLayout {
    /// P(miss) from this on is shown as a warning, and from ``likelyThreshold`` as danger.
    static let doubtfulThreshold = 0.2
    /// The snapshot's "likely to miss": more likely than not.
    static let likelyThreshold = 0.5

    /// A P(miss) cell: ` 82%`, coloured at the thresholds; blank without a prediction.
    static func pMiss(_ p: Double?, width: Int) -> (String, Style) {
        guard let p else { return (TextFormat.right("", width), .plain) }
        let percent = Int((min(1, max(0, p)) * 100).rounded())
        let text = percent == 0 && p > 0 ? "<1%" : "\(percent)%"
        let style: Style = p >= likelyThreshold ? .danger : p >= doubtfulThreshold ? .warning : .ok
        return (TextFormat.right(text, width), style)
    }

    /// `ETA 2.1–4.8s`, `ETA 2.1s–past deadline`, `ETA past deadline`, moving down between snapshots;
    /// the older single ETA when the server sends no range.
    static func eta(_ snapshot: PoolSnapshot, elapsed: Double) -> (String, Style) {
        func moved(_ seconds: Double) -> String { TextFormat.seconds(max(0, seconds - elapsed)) }
        guard snapshot.expectedMisses != nil else {
            return ("ETA " + (snapshot.etaSeconds.map(moved) ?? "?"), .bold)
        }
        let p50 = snapshot.etaP50Seconds.map { max(0, $0 - elapsed) }
        let p90 = snapshot.etaP90Seconds.map { max(0, $0 - elapsed) }
        let style: Style = p50 == nil ? .danger : p90 == nil ? .warning : .bold
        return ("ETA " + DurationFormat.eta(p50, p90, past: "past deadline"), style)
    }

    /// `2 likely to miss: report.export #58, #61`, or how many are expected when none is likely.
    static func misses(_ snapshot: PoolSnapshot, width: Int) -> (String, Style) {
        guard let expected = snapshot.expectedMisses else {
            let misses = snapshot.predictedMisses ?? 0
            return misses > 0 ? ("\(misses) predicted to miss the deadline", .danger) : ("none predicted to miss", .ok)
        }
        let likely = snapshot.likelyToMissCount ?? snapshot.likelyToMiss?.count ?? 0
        guard likely > 0 else {
            let shown = TextFormat.fixed(expected, places: 1)
            return expected >= 0.05 ? ("none likely to miss (\(shown) expected)", .ok) : ("none likely to miss", .ok)
        }
        var text = "\(likely) likely to miss"
        let named = snapshot.likelyToMiss ?? []
        if !named.isEmpty {
            // Grouped by kind, in the order of likelihood: "report.export #58, #61; invoice.pdf #70".
            var order: [String] = []
            var ids: [String: [String]] = [:]
            for job in named {
                if ids[job.kind] == nil { order.append(job.kind) }
                ids[job.kind, default: []].append("#\(job.id)")
            }
            text += ": " + order.map { "\($0) " + (ids[$0] ?? []).joined(separator: ", ") }.joined(separator: "; ")
            if likely > named.count { text += " …" }
        }
        return (TextFormat.clip(text, max(8, width)), .danger)
    }

    /// While running, what a drain started now would do: `a 30s drain now: ETA 2.1–4.8s · 0.3 expected
    /// to miss · 90 % drained in 12s`.
    static func plan(_ plan: DrainPlan) -> String {
        var text = "a \(TextFormat.duration(plan.graceSeconds)) drain now: "
        text += "ETA " + DurationFormat.eta(plan.etaP50Seconds, plan.etaP90Seconds, past: "past grace")
        text += " · \(TextFormat.fixed(plan.expectedMisses, places: 1)) expected to miss"
        if let suggested = plan.suggestedGraceSeconds {
            text += " · 90 % drained in \(TextFormat.duration(suggested.rounded(.up)))"
        }
        return text
    }
}
