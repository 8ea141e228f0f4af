import Foundation
import Testing

@testable import DrainDashboard

/// Numbers as the dashboard prints them, checked against the C formatter they replace.
@Suite("Text formatting")
struct TextFormatTests {
    @Test(
        "fixed(_:places:) prints what %.Nf prints, away from exact halves",
        arguments: [0, 0.04, 0.96, 7.349, 12.3449, 59.94, 59.96, 123.456, 99999.9951, -0.04, -3.26]
    )
    func fixedMatchesPrintf(value: Double) {
        for places in 0...3 {
            let expected = String(format: "%.\(places)f", value)
            // printf keeps the sign of a negative value that rounds to zero; the dashboard does not.
            let wanted = expected.hasPrefix("-") && Double(expected) == 0 ? String(expected.dropFirst()) : expected
            #expect(TextFormat.fixed(value, places: places) == wanted, "\(value) with \(places) places")
        }
    }

    @Test("seconds: one decimal below a minute, then minutes and seconds")
    func seconds() {
        #expect(TextFormat.seconds(7.34) == "7.3s")
        #expect(TextFormat.seconds(0) == "0.0s")
        #expect(TextFormat.seconds(-2) == "0.0s")
        #expect(TextFormat.seconds(59.94) == "59.9s")
        #expect(TextFormat.seconds(187) == "3m07s")
    }
}
