import DrainFleet
import DrainProtocol

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// A rolling deploy drawn for the terminal (`drainctl report --postgres URL --since 2h`): one lane per
/// worker on a shared time axis, showing its drain, the requeued jobs it took from others, and below the
/// lanes where each requeued job went. Pure: deploy in, lines out.
///
/// A drain is `█` from its start to its stop (`░` for its lame duck), ending in `×` when it was forced; a
/// `▸` on a lane is a requeued job that worker took. Under `LANG=C` every character has its ASCII stand-in.
package enum DeployLayout {
    static let labelWidth = 22
    /// ` #12 forced, 3 cut; took 2`: the drain's ID (for `drainctl report ID`), its outcome, what it cut and
    /// what the worker took; wider on a wide terminal, where the lanes have room to spare.
    static func tailWidth(_ width: Int) -> Int { width >= 120 ? 32 : 20 }
    /// The most hand-offs listed one by one; the rest are summed by pair of workers.
    package static let handoffLimit = 12

    /// The deploy in `width` columns (at least ``TimelineLayout/minimumWidth``).
    package static func lines(_ deploy: FleetDeploy, width: Int, ascii: Bool) -> [String] {
        let width = max(width, TimelineLayout.minimumWidth)
        let fit = TimelineLayout.fit
        let pad = TimelineLayout.pad
        var out: [String] = []
        guard let first = deploy.drains.first else {
            out.append("no drain in the window in the fleet \(deploy.fleet)")
            return out
        }
        // Seconds from the first drain's start, as one drain's timeline counts them; its lame duck before 0.
        let origin = first.entry.report.drainStartedAt ?? first.startedAt
        func seconds(_ date: Date) -> Double { date.timeIntervalSince(origin) }
        let stops = deploy.drains.map { seconds($0.entry.report.stoppedAt) }
        let takes = deploy.handoffs.compactMap(\.takenAt).map(seconds)
        let from = min(0, seconds(first.startedAt), takes.min() ?? 0)
        let tailWidth = Self.tailWidth(width)
        let to = max(from + 0.001, (stops + takes).max() ?? 0)
        let barWidth = width - labelWidth - tailWidth
        func column(_ value: Double) -> Int {
            Int((min(1, max(0, (value - from) / (to - from))) * Double(barWidth - 1)).rounded())
        }

        let cut = deploy.drains.reduce(0) { $0 + $1.entry.report.jobs.count }
        out.append(
            fit(
                "deploy in fleet \(deploy.fleet): \(deploy.drains.count) drains of \(Set(deploy.drains.map(\.worker)).count) "
                    + "workers, from \(HistoryLayout.utc(origin)) UTC", width))
        var second = "\(deploy.handoffs.count) requeued"
        if cut > deploy.handoffs.count { second += " (\(cut) cut)" }
        second += ": \(deploy.taken) taken by other workers, \(deploy.waiting) still queued"
        out.append(fit(second, width))
        out.append("")

        var axis = Array(repeating: Character(" "), count: barWidth)
        TimelineLayout.put(TimelineLayout.signed(from), at: 0, in: &axis)
        let right = TimelineLayout.signed(to)
        TimelineLayout.put(right, at: barWidth - right.count, in: &axis)
        out.append(pad("time", labelWidth) + String(axis).trimmingTrailing())

        for worker in deploy.workers {
            var cells = Array(repeating: Character(" "), count: barWidth)
            var tails: [String] = []
            for drain in deploy.drains where drain.worker == worker.id {
                let report = drain.entry.report
                let start = column(seconds(drain.startedAt))
                let draining = column(seconds(report.drainStartedAt ?? drain.startedAt))
                let stop = column(seconds(report.stoppedAt))
                for index in start...max(start, stop) { cells[index] = index < draining ? "░" : "█" }
                if report.outcome == .forced { cells[stop] = "×" }
                var tail = "#\(drain.entry.id) \(report.outcome.rawValue)"
                if !report.jobs.isEmpty { tail += ", \(report.jobs.count) cut" }
                tails.append(tail)
            }
            let took = deploy.handoffs.filter { $0.to == worker.id }
            for handoff in took {
                if let at = handoff.takenAt { cells[column(seconds(at))] = "▸" }
            }
            if !took.isEmpty { tails.append("took \(took.count)") }
            let label = "\(worker.name) pid \(worker.pid)"
            out.append(
                pad(label, labelWidth - 1) + " " + String(cells) + " "
                    + fit(tails.joined(separator: "; "), tailWidth - 1))
        }
        out.append("")

        if !deploy.handoffs.isEmpty {
            out.append("where the requeued jobs went")
            func name(_ id: String?) -> String {
                guard let id, let worker = deploy.worker(id) else { return "?" }
                return "\(worker.name) pid \(worker.pid)"
            }
            for handoff in deploy.handoffs.prefix(handoffLimit) {
                var text = "  #\(handoff.job) " + pad(handoff.kind, 12) + " " + name(handoff.from) + " → "
                if let to = handoff.to {
                    text += name(to)
                    if let at = handoff.takenAt { text += " at " + TimelineLayout.signed(seconds(at)) }
                    if let outcome = handoff.outcome { text += ", " + outcome }
                } else {
                    text += handoff.waiting ? "still queued" : "not known (the job's row moved on)"
                }
                out.append(fit(text, width))
            }
            let rest = deploy.handoffs.dropFirst(handoffLimit)
            if !rest.isEmpty {
                var pairs: [String: Int] = [:]
                for handoff in rest {
                    pairs[name(handoff.from) + " → " + (handoff.to.map(name) ?? "queue"), default: 0] += 1
                }
                for (pair, count) in pairs.sorted(by: { ($0.value, $1.key) > ($1.value, $0.key) }) {
                    out.append(fit("  \(count) more: " + pair, width))
                }
            }
            out.append("")
        }
        out.append(fit("█ draining · ░ lame duck · × forced · ▸ took a requeued job", width))
        out.append(fit("`drainctl report ID --postgres URL` draws one drain (#ID)", width))
        return ascii ? out.map(AsciiFallback.text) : out
    }
}
