import DrainDashboard
import Testing

@Suite("Screen lines and gauges")
struct ScreenLineTests {
    @Test("fitting pads or cuts to the width and keeps the styles")
    func fitting() {
        var line = ScreenLine("ab", .bold)
        line.append("cd")
        line.append("ef", .danger)
        #expect(line.fitted(to: 4).text == "abcd")
        #expect(line.fitted(to: 4).style(at: 1) == .bold)
        #expect(line.fitted(to: 8).text == "abcdef  ")
        #expect(line.fitted(to: 8).style(at: 5) == .danger)
        #expect(line.runs().map(\.0) == ["ab", "cd", "ef"])
    }

    @Test("an overlay replaces the columns under it and keeps the rest")
    func overlay() {
        let base = ScreenLine("0123456789", .dim)
        let result = base.overlaid(with: ScreenLine("XY", .danger), at: 3)
        #expect(result.text == "012XY56789")
        #expect(result.style(at: 2) == .dim)
        #expect(result.style(at: 3) == .danger)
        #expect(result.style(at: 5) == .dim)
        #expect(base.overlaid(with: ScreenLine("XYZ"), at: 8).text == "01234567XY")
    }

    @Test("a bar is always exactly as wide as asked", arguments: [0.0, 0.01, 0.333, 0.5, 0.99, 1.0, 1.7, -1, .nan])
    func barWidth(fraction: Double) {
        for width in [1, 7, 20, 63] {
            let bar = Gauge.bar(fraction, width: width)
            #expect(bar.filled.count + bar.empty.count == width)
        }
    }

    @Test("a sparkline scales to the ceiling and leaves gaps blank")
    func sparkline() {
        #expect(Gauge.sparkline([0, 1, 4, 8, nil, 16], ceiling: 8) == "▁▂▄█ █")
    }
}
