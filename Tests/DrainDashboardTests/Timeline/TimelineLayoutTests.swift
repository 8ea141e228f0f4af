import DrainDashboard
import DrainProtocol
import Foundation
import Testing

/// The terminal timeline against golden files: `DRAIN_UPDATE_GOLDENS=1 swift test --filter TimelineLayout`
/// rewrites them, and the diff shows what changed.
@Suite("The drain timeline in the terminal")
struct TimelineLayoutTests {
    static let goldens = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Goldens")

    /// Compares `lines` with the golden file `name` in `directory` (this suite's by default; the fleet
    /// screen's are beside its tests), or rewrites it under `DRAIN_UPDATE_GOLDENS=1`.
    static func check(_ lines: [String], golden name: String, in directory: URL = goldens) throws {
        let text = lines.joined(separator: "\n") + "\n"
        let file = directory.appendingPathComponent(name)
        if ProcessInfo.processInfo.environment["DRAIN_UPDATE_GOLDENS"] == "1" {
            try Data(text.utf8).write(to: file)
        }
        let expected = try String(contentsOf: file, encoding: .utf8)
        #expect(text == expected, "\(name) differs from its golden; set DRAIN_UPDATE_GOLDENS=1 to see the diff")
    }

    // MARK: - Goldens

    @Test("clean, forced and moved drains at 80 and 160 columns match their goldens", arguments: [80, 160])
    func goldenTimelines(width: Int) throws {
        for fixture in TimelineFixtures.all {
            let lines = TimelineLayout.lines(fixture.entry, width: width, ascii: false)
            try Self.check(lines, golden: "\(fixture.name)-\(width).txt")
        }
    }

    @Test("under LANG=C the forced drain is drawn in ASCII, same widths")
    func asciiTimeline() throws {
        let unicode = TimelineLayout.lines(TimelineFixtures.forced, width: 80, ascii: false)
        let ascii = TimelineLayout.lines(TimelineFixtures.forced, width: 80, ascii: true)
        #expect(ascii.allSatisfy { $0.allSatisfy(\.isASCII) })
        #expect(ascii.map(\.count) == unicode.map(\.count))
        try Self.check(ascii, golden: "forced-80-ascii.txt")
    }

    // MARK: - Properties

    @Test("no line is wider than the width asked for, and lanes come oldest first", arguments: [60, 80, 120, 160])
    func widths(width: Int) {
        for fixture in TimelineFixtures.all {
            let lines = TimelineLayout.lines(fixture.entry, width: width, ascii: false)
            #expect(lines.allSatisfy { $0.count <= width }, "\(fixture.name) at \(width)")
        }
        let forced = TimelineLayout.lines(TimelineFixtures.forced, width: 80, ascii: false)
        let order = ["#201", "#203", "#206", "#202", "#204", "#205"]
        let found = order.compactMap { id in forced.firstIndex { $0.hasPrefix(id + " ") } }
        #expect(found == found.sorted() && found.count == order.count)
    }

    @Test("a cut job's lane ends in ×, a failed one in !, and the forcing is marked F")
    func marks() throws {
        let lines = TimelineLayout.lines(TimelineFixtures.forced, width: 80, ascii: false)
        let cut = try #require(lines.first { $0.hasPrefix("#201 ") })
        #expect(cut.contains("×") && cut.contains("cancelled"))
        #expect(try #require(lines.first { $0.hasPrefix("#204 ") }).contains("!"))
        #expect(try #require(lines.first { $0.hasPrefix("deadline") }).contains("F"))
        #expect(lines.contains { $0.contains("expected to miss; 3 cut") })
    }

    @Test("a moved deadline marks both deadlines and names the move")
    func movedDeadline() throws {
        let lines = TimelineLayout.lines(TimelineFixtures.moved, width: 80, ascii: false)
        let marks = try #require(lines.first { $0.hasPrefix("deadline") })
        #expect(marks.filter { $0 == "^" }.count == 2)
        #expect(lines.contains { $0.contains("^ deadline +5.0s after the drain began; moved to +15.0s") })
    }

    @Test("the list names each drain's ID, outcome, cut jobs and forecast misses")
    func list() {
        let lines = HistoryLayout.list([TimelineFixtures.forced, TimelineFixtures.clean], width: 120)
        #expect(lines[0].hasPrefix("ID"))
        #expect(lines[1].hasPrefix("42") && lines[1].contains("forced") && lines[1].contains("2.3 / 3"))
        #expect(lines[1].contains("billing pid 4242 on web-2"))
        #expect(lines[2].hasPrefix(" 7") && lines[2].contains("clean") && lines[2].contains("0.0 / 0"))
        #expect(HistoryLayout.list([], width: 80).contains("(no drain kept yet)"))
    }
}
