import Foundation
import PropertyBased

/// One line of hostile or valid input for the control protocol, and what the server must answer.
struct FuzzFrame: Sendable, CustomStringConvertible {
    enum Expect: Sendable, Equatable {
        /// A `result` reply echoing this id.
        case ok(id: Int)
        /// An `error` reply with this code.
        case error(String)
        /// `line_too_long`, then the server closes the connection.
        case closes
    }

    var kind: String
    /// The line, without its terminator.
    var bytes: [UInt8]
    var expect: Expect
    /// Written a few bytes at a time instead of at once.
    var split = false
    var crlf = false

    var description: String {
        "\(kind) \(expect) \(String(decoding: bytes.prefix(120), as: UTF8.self).debugDescription) (\(bytes.count) bytes)"
    }

    /// The bytes on the wire, terminator included.
    var wire: [UInt8] { bytes + (crlf ? [13, 10] : [10]) }

    static let maxLine = 64 * 1024
}

extension FuzzFrame {
    /// Every class of garbage, and valid requests mixed in. No frame ever starts a drain (`force` and a
    /// valid `shutdown` are left out), so one live server can take all of them.
    static let generator: Generator<FuzzFrame, Shrink.None<FuzzFrame>> = Generator { rng in
        var maker = FrameMaker(rng: rng)
        defer { rng = maker.rng }
        return maker.frame()
    }
}

/// Builds frames from a seeded generator, so a failure can be replayed with `.fixedSeed`.
struct FrameMaker {
    var rng: any SeededRandomNumberGenerator
    private var nextID = 1

    init(rng: any SeededRandomNumberGenerator) { self.rng = rng }

    mutating func int(_ range: ClosedRange<Int>) -> Int { Int.random(in: range, using: &rng) }
    mutating func chance(_ p: Double) -> Bool { Double.random(in: 0..<1, using: &rng) < p }
    mutating func pick<T>(_ items: [T]) -> T { items[int(0...items.count - 1)] }

    mutating func id() -> Int {
        nextID = int(1...1_000_000)
        return nextID
    }

    mutating func frame() -> FuzzFrame {
        var frame: FuzzFrame
        switch int(0...99) {
        case 0..<14: frame = noise()
        case 14..<26: frame = truncated()
        case 26..<36: frame = deep()
        case 36..<52: frame = wrongType()
        case 52..<62: frame = unknownOperation()
        case 62..<68: frame = badVersion()
        case 68..<80: frame = invalidArgument()
        case 80..<97: frame = valid()
        default: frame = huge()
        }
        frame.crlf = chance(0.2)
        if case .ok = frame.expect, frame.bytes.count < 200, chance(0.3) { frame.split = true }
        return frame
    }

    // MARK: Classes

    /// Random bytes, no newline, starting with a byte no JSON text can start with: not JSON.
    mutating func noise() -> FuzzFrame {
        let starts = Array(UInt8(0x21)...UInt8(0xFF)).filter { !Array("{[\"-0123456789tfn".utf8).contains($0) }
        var bytes = [pick(starts)]
        for _ in 0..<int(0...300) {
            var byte = UInt8.random(in: 0...255, using: &rng)
            if byte == 10 { byte = 11 }
            bytes.append(byte)
        }
        return FuzzFrame(kind: "noise", bytes: bytes, expect: .error("bad_json"))
    }

    /// A valid request cut short: never JSON, since its closing brace is gone.
    mutating func truncated() -> FuzzFrame {
        let full = request(op: pick(["hello", "status", "shutdown", "extend", "subscribe", "history"]), id: id())
        return FuzzFrame(
            kind: "truncated", bytes: Array(full.prefix(int(1...full.count - 1))), expect: .error("bad_json"))
    }

    /// Deep nesting: too deep is `bad_request` when well formed, `bad_json` when cut short; shallow
    /// nesting in an unknown field is ignored, and a top-level array is not a request.
    mutating func deep() -> FuzzFrame {
        let arrays = chance(0.5)
        let open = arrays ? "[" : "{\"a\":"
        let close = arrays ? "]" : "}"
        let inner = arrays ? "1" : "0"
        switch int(0...3) {
        case 0:
            let depth = int(65...8_000)
            let text = String(repeating: open, count: depth) + inner + String(repeating: close, count: depth)
            return FuzzFrame(kind: "deep", bytes: Array(text.utf8), expect: .error("bad_request"))
        case 1:
            let depth = int(65...8_000)
            let text =
                String(repeating: open, count: depth) + inner + String(repeating: close, count: int(0...depth - 1))
            return FuzzFrame(kind: "deep-truncated", bytes: Array(text.utf8), expect: .error("bad_json"))
        case 2:
            let depth = int(1...60)
            let text = String(repeating: "[", count: depth) + String(repeating: "]", count: depth)
            return FuzzFrame(kind: "array", bytes: Array(text.utf8), expect: .error("bad_request"))
        default:
            let depth = int(1...60)
            let id = id()
            let nested = String(repeating: open, count: depth) + inner + String(repeating: close, count: depth)
            let text = "{\"id\":\(id),\"x\":\(nested),\"op\":\"status\"}"
            return FuzzFrame(kind: "nested-extra", bytes: Array(text.utf8), expect: .ok(id: id))
        }
    }

    /// A request with one field of the wrong JSON type, or a JSON value that is not an object.
    mutating func wrongType() -> FuzzFrame {
        let notObjects = ["5", "-1.5e3", "\"status\"", "true", "false", "null", "[]", "[{\"op\":\"status\"}]"]
        if chance(0.15) {
            return FuzzFrame(kind: "not-object", bytes: Array(pick(notObjects).utf8), expect: .error("bad_request"))
        }
        let strings = ["\"1\"", "\"\"", "\"\\u0000\"", "\"x\(int(0...999))\""]
        let others = ["true", "false", "[]", "[1]", "{}", "{\"a\":1}"]
        let fields: [(String, [String])] = [
            ("op", ["\(int(-9...9))", "null"] + others),
            ("id", ["1.5", "9223372036854775808", "-9223372036854775809"] + strings + others),
            ("v", ["1.25", "99999999999999999999"] + strings + others),
            ("grace", strings + others),
            ("interval_ms", ["50.5", "1e30"] + strings + others),
            ("seconds", strings + others),
            ("reason", ["7"] + others),
            ("limit", ["2.5", "1e30"] + strings + others),
            ("drain_id", ["0.5", "9223372036854775808"] + strings + others),
        ]
        let (field, values) = pick(fields)
        var object: [(String, String)] = [
            ("op", "\"\(pick(["hello", "status", "extend", "subscribe", "history"]))\"")
        ]
        if chance(0.5) { object.append(("id", "\(id())")) }
        object.removeAll { $0.0 == field }
        object.insert((field, pick(values)), at: int(0...object.count))
        let text = "{" + object.map { "\"\($0.0)\":\($0.1)" }.joined(separator: ",") + "}"
        return FuzzFrame(kind: "wrong-type \(field)", bytes: Array(text.utf8), expect: .error("bad_request"))
    }

    mutating func unknownOperation() -> FuzzFrame {
        let known: Set = ["hello", "status", "subscribe", "shutdown", "extend", "force", "history"]
        var op = ""
        repeat {
            let letters = Array("abcdefghijklmnopqrstuvwxyzHELOSTU_-é😀 ")
            op = String((0..<int(0...24)).map { _ in pick(letters) })
        } while known.contains(op)
        let escaped = op.replacingOccurrences(of: "\"", with: "\\\"")
        let text = "{\"v\":1,\"id\":\(id()),\"op\":\"\(escaped)\"}"
        return FuzzFrame(kind: "unknown-op", bytes: Array(text.utf8), expect: .error("unknown_operation"))
    }

    mutating func badVersion() -> FuzzFrame {
        var version = int(-1_000_000...1_000_000)
        // 1 and 2 are the versions this server speaks.
        if version == 1 || version == 2 { version = 3 }
        let op = pick(["hello", "status", "force", "shutdown", "nonsense"])
        let text = "{\"v\":\(version),\"id\":\(id()),\"op\":\"\(op)\"}"
        return FuzzFrame(kind: "version", bytes: Array(text.utf8), expect: .error("unsupported_version"))
    }

    /// Well-typed values out of range; `extend` while running is `not_draining`; a second `subscribe`
    /// (every live fuzz connection subscribes first) is refused; `history` of a drain never kept is
    /// `not_found` (the live server's journal keeps none yet).
    mutating func invalidArgument() -> FuzzFrame {
        let id = id()
        let text: String
        var code = "invalid_argument"
        switch int(0...8) {
        case 0: text = "{\"op\":\"shutdown\",\"id\":\(id),\"grace\":\(pick(["-0.001", "-5", "86400.5", "1e9"]))}"
        case 1: text = "{\"op\":\"subscribe\",\"id\":\(id),\"interval_ms\":\(pick([-1, 0, 49, 60_001, Int.max]))}"
        case 2: text = "{\"op\":\"extend\",\"id\":\(id)}"
        case 3: text = "{\"op\":\"extend\",\"id\":\(id),\"seconds\":\(pick(["86400.01", "-1e7"]))}"
        case 4:
            text = "{\"op\":\"extend\",\"id\":\(id),\"seconds\":\(int(-86_400...86_400))}"
            code = "not_draining"
        case 5: text = "{\"op\":\"history\",\"id\":\(id),\"limit\":\(pick([-1, 0, 101, Int.max]))}"
        case 6: text = "{\"op\":\"history\",\"id\":\(id),\"drain_id\":\(pick([0, -1, Int.min]))}"
        case 7:
            text = "{\"op\":\"history\",\"id\":\(id),\"drain_id\":\(int(1...Int.max))}"
            code = "not_found"
        default: text = "{\"op\":\"subscribe\",\"id\":\(id),\"interval_ms\":\(int(50...60_000))}"
        }
        return FuzzFrame(kind: "argument", bytes: Array(text.utf8), expect: .error(code))
    }

    mutating func valid() -> FuzzFrame {
        let id = id()
        var text = request(op: pick(["hello", "status", "history"]), id: id)
        if chance(0.2) { text = Array(" \t".utf8) + text + Array("  ".utf8) }
        return FuzzFrame(kind: "valid", bytes: text, expect: .ok(id: id))
    }

    /// Over the limit (closes the connection), or exactly at it (a valid request padded in `reason`).
    mutating func huge() -> FuzzFrame {
        if chance(0.5) {
            // Small enough to sit in the socket buffer, so the client's write never fails on the close.
            let length = FuzzFrame.maxLine + (chance(0.8) ? int(1...4096) : int(1...FuzzFrame.maxLine))
            return FuzzFrame(
                kind: "huge", bytes: Array(repeating: pick(Array("a{[\"".utf8)), count: length), expect: .closes)
        }
        let id = id()
        let head = "{\"op\":\"status\",\"id\":\(id),\"reason\":\""
        let padding = String(repeating: "p", count: FuzzFrame.maxLine - head.utf8.count - 2)
        return FuzzFrame(kind: "at-limit", bytes: Array((head + padding + "\"}").utf8), expect: .ok(id: id))
    }

    /// A well-formed request with the optional fields of its operation, in a random order.
    mutating func request(op: String, id: Int) -> [UInt8] {
        var fields = ["\"op\":\"\(op)\"", "\"id\":\(id)"]
        if chance(0.5) { fields.append("\"v\":1") }
        if chance(0.3) { fields.append("\"reason\":\"déploiement \\\"v2\\\" \\u00e9\"") }
        if chance(0.3) { fields.append("\"future_field\":{\"a\":[1,2,{\"b\":null}]}") }
        fields.shuffle(using: &rng)
        return Array(("{" + fields.joined(separator: ",") + "}").utf8)
    }
}

extension FuzzFrame {
    /// How many frames a fuzz run sends: `DRAINCTL_FUZZ_FRAMES` for the full runs (100,000, outside the
    /// suite), else `smoke`: enough to meet every class of frame many times in each run of the suite, which
    /// is run beside two CPU hogs on two cores.
    static func budget(smoke: Int) -> Int {
        ProcessInfo.processInfo.environment["DRAINCTL_FUZZ_FRAMES"].flatMap(Int.init).map { max(1, $0) } ?? smoke
    }
}
