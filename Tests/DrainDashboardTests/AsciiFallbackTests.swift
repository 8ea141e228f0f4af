import DrainDashboard
import Testing

/// The ASCII stand-ins used when the locale is not UTF-8.
@Suite("ASCII fallback")
struct AsciiFallbackTests {
    @Test("a bar keeps its width and its filled/empty split, in # | and .", arguments: [0.0, 0.3, 0.55, 1.0])
    func bar(fraction: Double) {
        let bar = Gauge.bar(fraction, width: 20)
        var line = ScreenLine(bar.filled, .ok)
        line.append(bar.empty, .dim)
        let ascii = AsciiFallback.line(line)
        #expect(ascii.text.allSatisfy { $0.isASCII })
        #expect(ascii.width == 20 && ascii.text.count == 20)
        #expect(ascii.spans == line.spans)
        #expect(ascii.text.filter { $0 == "." }.count == bar.empty.count)
        #expect(ascii.text.filter { $0 == "#" || $0 == "|" }.count == bar.filled.count)
    }

    @Test("the sparkline's eight levels become eight distinct ASCII characters; gaps stay blank")
    func sparkline() {
        let levels = AsciiFallback.text("▁▂▃▄▅▆▇█")
        #expect(levels == "_.:-=+*#")
        #expect(Set(levels).count == 8)
        let spark = Gauge.sparkline([nil, 0, 2, 4, 8], ceiling: 8)
        let ascii = AsciiFallback.text(spark)
        #expect(ascii.allSatisfy { $0.isASCII })
        #expect(ascii == " _.-#", "\(spark) became \(ascii)")
    }

    @Test("frames, rules, arrows and text from a service become ASCII of the same width")
    func everythingElse() {
        let line = ScreenLine("┌─ KEYS ─┐ ↑↓ ▸ … · café", .info)
        let ascii = AsciiFallback.line(line)
        #expect(ascii.text == "+- KEYS -+ ^v > ~ - caf?")
        #expect(ascii.style(at: 0) == .info)
        let plain = ScreenLine("plain ascii")
        #expect(AsciiFallback.line(plain) == plain)
    }
}
