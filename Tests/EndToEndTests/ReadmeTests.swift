import DrainTestSupport
import Foundation
import Testing

@Suite("README")
struct ReadmeTests {
    @Test("the embedding example in the README is the one these tests compile")
    func exampleMatches() throws {
        let root = Binaries.packageRoot
        let readme = try String(contentsOf: root.appendingPathComponent("README.md"), encoding: .utf8)
        let source = try String(
            contentsOf: root.appendingPathComponent("Tests/EndToEndTests/ReadmeExample.swift"), encoding: .utf8
        )
        func between(_ text: String, _ start: String, _ end: String) -> String? {
            guard let a = text.range(of: start), let b = text.range(of: end, range: a.upperBound..<text.endIndex) else {
                return nil
            }
            return String(text[a.upperBound..<b.lowerBound]).trimmingCharacters(in: .whitespacesAndNewlines)
        }
        let compiled = try #require(between(source, "// BEGIN README EXAMPLE", "// END README EXAMPLE"))
        let shown = try #require(between(readme, "<!-- example:begin -->\n```swift", "```\n<!-- example:end -->"))
        #expect(shown == compiled)
    }

    @Test("the README gives the exact test command that CI runs")
    func testCommand() throws {
        let root = Binaries.packageRoot
        let readme = try String(contentsOf: root.appendingPathComponent("README.md"), encoding: .utf8)
        let ci = try String(contentsOf: root.appendingPathComponent(".ci/run"), encoding: .utf8)
        let command = "swift build --build-tests && swift test"
        #expect(readme.contains(command))
        #expect(ci.contains(command))
    }
}
