import DrainProtocol
import Foundation
import Testing

/// docs/PROTOCOL.md's examples are the wire format: each block tagged `golden=` decodes into its type
/// and encodes back to the same JSON, and together they cover every request and every reply shape.
@Suite("docs/PROTOCOL.md examples")
struct ProtocolDocTests {
    struct Example: CustomStringConvertible {
        var kind: String
        var json: String
        var line: Int
        var description: String { "PROTOCOL.md:\(line) (\(kind))" }
    }

    static let documentPath = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("docs/PROTOCOL.md").path

    /// The fenced blocks whose info string has `golden=KIND`.
    static func examples() throws -> [Example] {
        let text = try String(contentsOfFile: documentPath, encoding: .utf8)
        var examples: [Example] = []
        var current: (kind: String, lines: [String], start: Int)?
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            if var open = current {
                if line.hasPrefix("```") {
                    examples.append(
                        Example(kind: open.kind, json: open.lines.joined(separator: "\n"), line: open.start))
                    current = nil
                } else {
                    open.lines.append(String(line))
                    current = open
                }
            } else if line.hasPrefix("```"),
                let tag = line.split(separator: " ").first(where: { $0.hasPrefix("golden=") })
            {
                current = (String(tag.dropFirst("golden=".count)), [], index + 1)
            }
        }
        return examples
    }

    /// Parsed JSON, for comparing documents regardless of key order and spacing.
    static func object(_ data: Data) throws -> NSDictionary {
        try #require(try JSONSerialization.jsonObject(with: data) as? NSDictionary)
    }

    /// Decodes `example` as `T` and encodes it back, in protocol `version` (the `v` of a message line).
    static func roundTrip<T: Codable>(_ type: T.Type, _ example: Example, version: Int? = nil) throws -> T {
        let value = try JSONDecoder.drain.decode(T.self, from: Data(example.json.utf8))
        let encoder = JSONEncoder.drain
        if let version { encoder.userInfo[ControlMessage.versionKey] = version }
        let encoded = try encoder.encode(value)
        #expect(
            try object(encoded) == object(Data(example.json.utf8)),
            "\(example) does not survive a round trip; the code writes:\n\(String(decoding: encoded, as: UTF8.self))")
        // On the wire a message is one line.
        #expect(!encoded.contains(UInt8(ascii: "\n")))
        return value
    }

    @Test("every golden example round-trips through its type")
    func roundTrips() throws {
        let examples = try Self.examples()
        #expect(examples.count >= 16, "found only \(examples.count) examples in \(Self.documentPath)")
        for example in examples {
            switch example.kind {
            case "request": _ = try Self.roundTrip(ControlRequest.self, example)
            case "message": _ = try Self.roundTrip(ControlMessage.self, example)
            case "message-v2": _ = try Self.roundTrip(ControlMessage.self, example, version: 2)
            case "message-v3": _ = try Self.roundTrip(ControlMessage.self, example, version: 3)
            default: Issue.record("\(example): unknown golden kind")
            }
        }
    }

    @Test("the examples cover every operation and every reply shape")
    func coverage() throws {
        let examples = try Self.examples()
        let operations = try examples.filter { $0.kind == "request" }.map {
            try JSONDecoder.drain.decode(ControlRequest.self, from: Data($0.json.utf8)).op
        }
        #expect(Set(operations) == Set(ControlRequest.Operation.allCases.map(\.rawValue)))
        let shapes = try examples.filter { $0.kind == "message" }.map { example -> String in
            switch try JSONDecoder.drain.decode(ControlMessage.self, from: Data(example.json.utf8)) {
            case .hello: "hello"
            case .status: "status"
            case .subscribed: "subscribed"
            case .history: "history"
            case .error: "error"
            case .snapshot: "snapshot"
            case .event(let event): event.kind == .stopped && event.report != nil ? "stopped" : "event"
            }
        }
        #expect(
            Set(shapes) == ["hello", "status", "subscribed", "history", "error", "snapshot", "event", "stopped"])
    }

    @Test("every version has golden examples, and v3's jobs are rows that read as v1's objects")
    func versions() throws {
        let examples = try Self.examples()
        for kind in ["message", "message-v2", "message-v3"] {
            #expect(examples.contains { $0.kind == kind }, "no golden \(kind) example")
        }
        // A v3 snapshot written as v1 is the same snapshot with its jobs as objects, and reads back equal.
        for example in examples where example.kind == "message-v3" {
            let message = try JSONDecoder.drain.decode(ControlMessage.self, from: Data(example.json.utf8))
            guard let snapshot = message.snapshot, !snapshot.oldestJobs.isEmpty else { continue }
            let v1 = try JSONEncoder.drain.encode(message)
            #expect(String(decoding: v1, as: UTF8.self).contains(#""oldest_jobs":[{"#))
            let back = try JSONDecoder.drain.decode(ControlMessage.self, from: v1)
            #expect(back.snapshot?.oldestJobs.map(\.id) == snapshot.oldestJobs.map(\.id))
            #expect(back.snapshot?.oldestJobs.map(\.pMiss) == snapshot.oldestJobs.map(\.pMiss))
            #expect(back.snapshot?.oldestJobs.map(\.ageSeconds) == snapshot.oldestJobs.map(\.ageSeconds))
        }
    }

    @Test("a documented error code is one the server can send")
    func errorCodes() throws {
        let text = try String(contentsOfFile: Self.documentPath, encoding: .utf8)
        for code in WireErrorCode.allCases {
            #expect(text.contains("| `\(code.rawValue)` |"), "PROTOCOL.md's error table lacks \(code.rawValue)")
        }
    }
}
