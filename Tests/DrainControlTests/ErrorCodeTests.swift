import Drain
import DrainProtocol
import Testing

@testable import DrainControl

/// A pool failure keeps its own meaning on the wire instead of one catch-all code.
@Suite("wire error codes")
struct ErrorCodeTests {
    @Test(
        "each pool failure maps to the wire code that names it",
        arguments: [
            (DrainError.Code.invalidArgument, WireErrorCode.invalidArgument),
            (.notRunning, .notDraining),
            (.notAccepting, .alreadyStopped),
            (.journal, .journalFailed),
            (.unknownKind, .internalError),
            (.alreadyRunning, .internalError),
        ])
    func mapping(code: DrainError.Code, expected: WireErrorCode) {
        #expect(WireErrorCode(DrainError(code, "a failure")) == expected)
    }
}
