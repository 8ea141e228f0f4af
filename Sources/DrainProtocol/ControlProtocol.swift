/// Protocol constants shared by the server and the client.
public enum ControlProtocol {
    /// The version a request without `v` speaks, and the one every line of such a connection carries.
    public static let version = 1
    /// The newest version this build speaks. Version 2 changes subscriptions only: after the first
    /// snapshot, pushed snapshots leave `recent_events` empty, since every event is pushed once on its own.
    /// Version 3 keeps that and writes each listed job as a row instead of an object (see
    /// ``PoolSnapshot/InFlightJob``), in every snapshot it carries.
    public static let latestVersion = 3
    /// Every version this build speaks; a request asking for another gets `unsupported_version`.
    public static let versions = 1...3
    /// The graces a drain accepts, in seconds: the server, `drainctl shutdown` and `top`'s prompt all
    /// check against this one range.
    public static let graceRange: ClosedRange<Double> = 0...86_400
    /// The longest grace a planned (`auto`) drain takes when the request names none: five minutes, past
    /// the longest work the planner is usually asked about and well inside a typical termination window.
    public static let defaultMaxGrace = 300.0
    /// Whether `seconds` may cap a planned grace: above 0, at most a day.
    public static func isValidMaxGrace(_ seconds: Double) -> Bool {
        seconds.isFinite && seconds > 0 && seconds <= graceRange.upperBound
    }
    /// Whether `seconds` is a grace a drain accepts.
    public static func isValidGrace(_ seconds: Double) -> Bool { seconds.isFinite && graceRange.contains(seconds) }
    /// How many drains one `history` request may ask for. A reply is one line, and each drain carries its
    /// whole report (a lane per job in flight): a hundred keeps even a large pool's reply far below the
    /// 16 MiB a client reads in one line, and it is the default retention (`DrainHistoryRetention`).
    public static let historyLimits = 1...100
    /// The drains a `history` request without `limit` gets: the list `drainctl report` prints.
    public static let defaultHistoryLimit = 20
    /// The longest request line a server accepts, newline excluded.
    public static let defaultMaxLineBytes = 64 * 1024
}
