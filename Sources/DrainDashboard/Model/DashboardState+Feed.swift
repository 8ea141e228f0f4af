import DrainClient
import DrainProtocol

extension DashboardState {
    /// Takes in one update from the network side.
    /// - Parameters:
    ///   - update: What happened.
    ///   - now: When it arrived on the monotonic clock; countdowns are measured from it.
    package mutating func apply(_ update: FeedUpdate, at now: ContinuousClock.Instant) {
        switch update {
        case .connected(let session):
            guard session == self.session, connection == .connecting else { return }
            connection = .live
        case .snapshot(let snapshot, let session):
            guard session == self.session else { return }
            self.snapshot = snapshot
            snapshotArrival = now
            if predictedAtDrainStart == nil, snapshot.phase >= .draining {
                predictedAtDrainStart = snapshot.expectedMisses
            }
            if !connection.hasEnded {
                if connection == .connecting { connection = .live }
                history.record(snapshot.inFlight, at: now)
            }
            merge(snapshot.recentEvents)
            if let report = snapshot.report, !connection.hasEnded { stop(StopSummary(report), at: now) }
            updateRow(snapshot)
        case .event(let event, let session):
            guard session == self.session else { return }
            merge([event])
            if event.kind == .stopped, let report = event.report, !connection.hasEnded {
                stop(StopSummary(report), at: now)
            } else if event.kind == .stopped, let id = event.report?.historyID, case .stopped(var summary) = connection
            {
                // A snapshot taken while the journal was keeping the drain already showed the stop; the
                // stopped event, sent once the journal numbered the drain, adds its ID for the banner.
                summary.historyID = id
                connection = .stopped(summary)
            }
        case .ended(let session, let error):
            guard session == self.session, !connection.hasEnded else { return }
            // A clean close without a stopped event is still a loss: the service did not say it stopped.
            connection = .lost(error ?? "the connection closed before the process reported that it stopped")
            endedAt = now
        case .violation(let session, let message):
            guard session == self.session else { return }
            failure = message
            if !connection.hasEnded {
                connection = .lost(message)
                endedAt = now
            }
        case .processes(let entries):
            noteProcesses(entries)
        case .processStatus(let entry, let snapshot):
            guard let index = processes.firstIndex(where: { $0.entry == entry }) else { return }
            processes[index].responded = snapshot != nil
            if let snapshot { updateRow(snapshot, at: index) }
        case .commandResult(let text, let ok):
            show(text, ok ? .ok : .danger, at: now)
        }
    }

    private mutating func stop(_ summary: StopSummary, at now: ContinuousClock.Instant) {
        var summary = summary
        summary.predictedMisses = predictedAtDrainStart
        connection = .stopped(summary)
        endedAt = now
    }

    private mutating func updateRow(_ snapshot: PoolSnapshot) {
        guard let target, let index = processes.firstIndex(where: { $0.entry == target }) else { return }
        updateRow(snapshot, at: index)
    }

    private mutating func updateRow(_ snapshot: PoolSnapshot, at index: Int) {
        processes[index].phase = snapshot.phase
        processes[index].inFlight = snapshot.inFlight
        processes[index].queued = snapshot.queued
        processes[index].responded = true
    }
}
