import DrainProtocol

/// What the operator typed at `s`'s grace prompt, read the same way on every screen.
enum GraceEntry: Equatable {
    /// Nothing typed: the service's own default grace.
    case serviceDefault
    case seconds(Double)
    case invalid

    init(_ text: String) {
        if text.isEmpty {
            self = .serviceDefault
        } else if let seconds = Double(text), ControlProtocol.isValidGrace(seconds) {
            self = .seconds(seconds)
        } else {
            self = .invalid
        }
    }

    static let invalidMessage = "the grace is a number of seconds from 0 to 86400"
}
