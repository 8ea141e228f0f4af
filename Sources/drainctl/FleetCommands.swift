import DrainFleet
import DrainProtocol

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// `ls --postgres` and `status --postgres`: the fleet's workers, read once from the shared journal.
enum FleetCommands {
    /// One worker as `ls --postgres --json` prints it.
    struct Row: Encodable {
        var id: String
        var host: String
        var name: String
        var pid: Int32
        var state: String
        var phase: DrainPhase?
        var inFlight: Int
        var running: Int
        var drained: Int?
        var secondsLeft: Double?
        var heartbeatSecondsAgo: Double
        var leaseSeconds: Double
        var rescueInSeconds: Double?
        var graceSeconds: Double?
        var drainTotal: Int?
        var etaP50Seconds: Double?
        var etaP90Seconds: Double?
        var expectedMisses: Double?
        var waitingForRescue: Int
        /// A stopped worker's drain in the fleet's history: `drainctl report ID --postgres URL`.
        var drainID: Int64?

        init(_ worker: FleetWorker) {
            id = worker.id
            host = worker.host
            name = worker.name
            pid = worker.pid
            state = FleetText.state(worker)
            phase = worker.phase
            inFlight = worker.inFlightNow
            running = worker.running
            waitingForRescue = worker.waitingForRescue
            drained = worker.drained
            secondsLeft = worker.secondsLeft
            heartbeatSecondsAgo = worker.silence
            leaseSeconds = worker.lease
            if case .lost(let rescueIn) = worker.health { rescueInSeconds = rescueIn }
            graceSeconds = worker.drain?.graceSeconds
            drainTotal = worker.drain?.total
            // From now, like `seconds_left`: the worker wrote them at its last heartbeat.
            etaP50Seconds = worker.drain?.etaP50Seconds.map { max(0, $0 - worker.silence) }
            etaP90Seconds = worker.drain?.etaP90Seconds.map { max(0, $0 - worker.silence) }
            expectedMisses = worker.drain?.expectedMisses
            drainID = worker.drainID
        }

        private enum CodingKeys: String, CodingKey {
            case id, host, name, pid, state, phase, running, drained
            case inFlight = "in_flight"
            case secondsLeft = "seconds_left"
            case heartbeatSecondsAgo = "heartbeat_seconds_ago"
            case leaseSeconds = "lease_seconds"
            case rescueInSeconds = "rescue_in_seconds"
            case graceSeconds = "grace_seconds"
            case drainTotal = "drain_total"
            case etaP50Seconds = "eta_p50_seconds"
            case etaP90Seconds = "eta_p90_seconds"
            case expectedMisses = "expected_misses"
            case waitingForRescue = "waiting_for_rescue"
            case drainID = "drain_id"
        }
    }

    static func list(_ url: FleetURL, json: Bool) throws {
        let snapshot = try FleetOptions.read(url)
        if json {
            emit(String(decoding: try JSONEncoder.drain.encode(snapshot.workers.map(Row.init)), as: UTF8.self))
            return
        }
        guard !snapshot.workers.isEmpty else {
            emit("no workers in schema \(url.schema) of \(url)")
            return
        }
        emit(pad(["HOST", "NAME", "PID", "STATE", "IN FLIGHT", "RUNNING", "HEARTBEAT", ""]))
        for worker in snapshot.workers {
            emit(
                pad([
                    worker.host, worker.name, "\(worker.pid)", FleetText.state(worker), "\(worker.inFlightNow)",
                    "\(worker.running)", DurationFormat.seconds(worker.silence) + " ago", FleetText.detail(worker),
                ]))
        }
        emit(FleetText.summary(snapshot))
    }

    static func status(_ url: FleetURL, json: Bool) throws {
        let snapshot = try FleetOptions.read(url)
        if json {
            struct Summary: Encodable {
                var queued: Int
                var waitingForRescue: Int
                var workers: [Row]

                private enum CodingKeys: String, CodingKey {
                    case queued, workers
                    case waitingForRescue = "waiting_for_rescue"
                }
            }
            let summary = Summary(
                queued: snapshot.queued, waitingForRescue: snapshot.workers.map(\.waitingForRescue).reduce(0, +),
                workers: snapshot.workers.map(Row.init))
            emit(String(decoding: try JSONEncoder.drain.encode(summary), as: UTF8.self))
            return
        }
        emit("fleet \(url) (schema \(url.schema)): \(FleetText.summary(snapshot))")
        for worker in snapshot.workers where worker.health != .alive || worker.secondsLeft != nil {
            emit(
                "  \(worker.name) on \(worker.host) (pid \(worker.pid)): \(FleetText.state(worker)) \(FleetText.detail(worker))"
            )
        }
    }

    private static func pad(_ columns: [String]) -> String {
        let widths = [14, 14, 8, 10, 10, 8, 11, 0]
        return zip(columns, widths).map { column, width in
            width == 0 ? column : column + String(repeating: " ", count: max(1, width - column.count))
        }.joined()
    }
}
