/// A failure of the harness itself (not a finding about the library): a missing binary, a record that
/// cannot be read, a demo that never came up.
struct ChaosError: Error, Sendable, CustomStringConvertible {
    /// A stable identifier for the kind of failure.
    struct Code: Hashable, Sendable, CustomStringConvertible {
        let rawValue: String

        /// An argument or input file is unusable.
        static let invalidInput = Code(rawValue: "invalid_input")
        /// A record line does not parse.
        static let malformedRecord = Code(rawValue: "malformed_record")
        /// `drain-demo` could not be started or did not come up.
        static let demoFailed = Code(rawValue: "demo_failed")
        /// A process did not exit or answer in time.
        static let timedOut = Code(rawValue: "timed_out")

        var description: String { rawValue }
    }

    var code: Code
    var message: String

    init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    var description: String { message }
}
