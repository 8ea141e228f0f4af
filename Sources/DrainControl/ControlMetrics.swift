import DrainProtocol
import Metrics

/// The control server's metrics, built once from the application's factory.
///
/// Read-only requests (`hello`, `status`) are counted here and logged, not recorded as pool events: a
/// dashboard polling `status` would otherwise fill the event log, and every reply, with its own echoes.
struct ControlMetrics: Sendable {
    /// `drain_control_requests_total{pool, op}`, one counter per operation.
    private let requests: [ControlRequest.Operation: Counter]

    init(pool: String, factory: any MetricsFactory) {
        var requests: [ControlRequest.Operation: Counter] = [:]
        for operation in ControlRequest.Operation.allCases {
            requests[operation] = Counter(
                label: "drain_control_requests_total", dimensions: [("pool", pool), ("op", operation.rawValue)],
                factory: factory)
        }
        self.requests = requests
    }

    func request(_ operation: ControlRequest.Operation) { requests[operation]?.increment() }
}
