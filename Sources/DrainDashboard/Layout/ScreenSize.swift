/// A terminal's size in character cells.
public struct ScreenSize: Sendable, Hashable, CustomStringConvertible {
    public var columns: Int
    public var rows: Int

    public init(columns: Int, rows: Int) {
        self.columns = columns
        self.rows = rows
    }

    /// The smallest terminal the full dashboard fits in; below it a notice is shown instead.
    public static let minimum = ScreenSize(columns: 60, rows: 16)

    /// Whether `self` can show the full dashboard.
    public var isUsable: Bool { columns >= Self.minimum.columns && rows >= Self.minimum.rows }

    public var description: String { "\(columns)×\(rows)" }
}
