/// A terminal's size in character cells.
package struct ScreenSize: Sendable, Hashable, CustomStringConvertible {
    package var columns: Int
    package var rows: Int

    package init(columns: Int, rows: Int) {
        self.columns = columns
        self.rows = rows
    }

    /// The smallest terminal the full dashboard fits in; below it a notice is shown instead.
    package static let minimum = ScreenSize(columns: 60, rows: 16)

    /// Whether `self` can show the full dashboard.
    package var isUsable: Bool { columns >= Self.minimum.columns && rows >= Self.minimum.rows }

    package var description: String { "\(columns)×\(rows)" }
}
