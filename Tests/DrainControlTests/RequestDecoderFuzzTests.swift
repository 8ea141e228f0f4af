import Foundation
import PropertyBased
import Testing

@testable import DrainControl

/// The request decoder against every class of garbage: the right code for each, and never a crash.
@Suite("request decoder under fuzzing")
struct RequestDecoderFuzzTests {
    /// 3,000 frames a run (the rarest class, lines over 64 KiB, about 90 times); `DRAINCTL_FUZZ_FRAMES=100000`
    /// for the full run.
    @Test("each class of garbage gets its own error code; valid requests decode")
    func classes() async {
        await propertyCheck(count: FuzzFrame.budget(smoke: 3_000), input: FuzzFrame.generator) { frame in
            let bytes = Data(frame.bytes)
            let result = RequestDecoder.decode(bytes)
            switch (frame.expect, result) {
            case (.error(let code), .failure(let failure)) where code == "bad_json" || code == "bad_request":
                #expect(failure.code.rawValue == code, "\(frame): \(failure.message)")
            case (.error(let code), .success) where code != "bad_json" && code != "bad_request":
                break  // decided later by the server: unknown_operation, unsupported_version, invalid_argument
            case (.ok, .success), (.closes, _):
                break
            case (_, .failure(let failure)):
                Issue.record("\(frame): unexpected \(failure.code.rawValue) \(failure.message)")
            case (_, .success(let request)):
                Issue.record("\(frame): decoded as \(request)")
            }
        }
    }

    @Test("the id of a request with a bad field is still echoed")
    func salvagedID() {
        guard case .failure(let failure) = RequestDecoder.decode(Data(#"{"id":42,"op":"status","grace":"x"}"#.utf8))
        else {
            Issue.record("a string grace decoded")
            return
        }
        #expect(failure.id == 42)
        #expect(failure.code == .badRequest)
        #expect(failure.message.contains("grace"))
    }

    @Test("nesting: deep and well formed is bad_request, deep and cut short is bad_json, strings do not count")
    func nesting() {
        let deep = String(repeating: "[", count: 600) + String(repeating: "]", count: 600)
        #expect(Nesting.scan(Data(deep.utf8), limit: 64) == .tooDeep(balanced: true))
        #expect(Nesting.scan(Data(deep.dropLast().utf8), limit: 64) == .tooDeep(balanced: false))
        let quoted = "{\"op\":\"status\",\"reason\":\"" + String(repeating: "[", count: 600) + "\"}"
        #expect(Nesting.scan(Data(quoted.utf8), limit: 64) == .within)
        guard case .success = RequestDecoder.decode(Data(quoted.utf8)) else {
            Issue.record("brackets inside a string were counted")
            return
        }
    }
}
