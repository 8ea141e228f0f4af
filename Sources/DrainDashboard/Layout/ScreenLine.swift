/// One row of the screen: its text, exactly as wide as the screen, and the styles of its runs.
///
/// Every `Character` is one column: the layout only emits single-width characters (ASCII, box drawing
/// and block elements), and clips text from the service (job kinds, messages) by characters.
package struct ScreenLine: Sendable, Hashable, CustomStringConvertible {
    /// A run of columns drawn in one style.
    package struct Span: Sendable, Hashable {
        package var start: Int
        package var length: Int
        package var style: Style
    }

    package private(set) var text: String = ""
    package private(set) var spans: [Span] = []
    /// Columns so far, kept alongside `text` because `String.count` is linear.
    package private(set) var width = 0

    package init() {}

    package init(_ text: String, _ style: Style = .plain) {
        append(text, style)
    }

    package var description: String { text }

    /// Appends `text` in `style`, merging with the previous span when the style is the same.
    package mutating func append(_ piece: String, _ style: Style = .plain) {
        let count = piece.count
        guard count > 0 else { return }
        text += piece
        if style != .plain {
            if let last = spans.last, last.style == style, last.start + last.length == width {
                spans[spans.count - 1].length += count
            } else {
                spans.append(Span(start: width, length: count, style: style))
            }
        }
        width += count
    }

    /// Appends `line`'s text and styles.
    package mutating func append(_ line: ScreenLine) {
        for (piece, style) in line.runs() { append(piece, style) }
    }

    /// The line cut or padded with spaces to exactly `columns`, the padding in `fill` style.
    package func fitted(to columns: Int, fill: Style = .plain) -> ScreenLine {
        if width == columns { return self }
        if width < columns {
            var copy = self
            copy.append(String(repeating: " ", count: columns - width), fill)
            return copy
        }
        var cut = ScreenLine()
        for (piece, style) in runs() {
            let room = columns - cut.width
            if room <= 0 { break }
            cut.append(String(piece.prefix(room)), style)
        }
        return cut
    }

    /// This line with `other` drawn over it from `column`, clipped to this line's width.
    package func overlaid(with other: ScreenLine, at column: Int) -> ScreenLine {
        guard column < width else { return self }
        let head = fitted(to: column)
        var tail = ScreenLine()
        var skipped = 0
        let end = column + other.width
        for (piece, style) in runs() {
            let pieceEnd = skipped + piece.count
            defer { skipped = pieceEnd }
            guard pieceEnd > end else { continue }
            tail.append(String(piece.dropFirst(max(0, end - skipped))), style)
        }
        var result = head
        result.append(other)
        result.append(tail)
        return result.fitted(to: width)
    }

    /// The text split into runs of one style each, plain runs included, in order.
    package func runs() -> [(String, Style)] {
        var result: [(String, Style)] = []
        var column = 0
        var index = text.startIndex
        func take(_ count: Int) -> String {
            let end = text.index(index, offsetBy: count)
            defer { index = end }
            return String(text[index..<end])
        }
        for span in spans {
            if span.start > column { result.append((take(span.start - column), .plain)) }
            result.append((take(span.length), span.style))
            column = span.start + span.length
        }
        if column < width { result.append((take(width - column), .plain)) }
        return result
    }

    /// The style at `column`, for tests that check colours without a terminal.
    package func style(at column: Int) -> Style {
        spans.first { $0.start <= column && column < $0.start + $0.length }?.style ?? .plain
    }
}
