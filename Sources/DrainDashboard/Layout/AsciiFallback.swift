/// The screen in plain ASCII, for a terminal whose locale is not UTF-8 (`LANG=C`, `LANG=POSIX`).
///
/// There curses cannot turn block elements, box drawing or arrows into bytes, so gauges, the sparkline
/// and the frames would draw nothing at all. Each of those characters has a one-column ASCII stand-in, so
/// a line keeps its width and its styles: a bar reads `#####|.....`, a sparkline `_.:-=+*#`.
package enum AsciiFallback {
    /// The stand-ins: a bar's eighths become `|` or `#`, the sparkline's eight levels eight distinct
    /// characters, in rising order of ink.
    static let table: [Character: Character] = [
        "█": "#", "▉": "#", "▊": "#", "▋": "#", "▌": "|", "▍": "|", "▎": "|", "▏": "|", "░": ".",
        "▁": "_", "▂": ".", "▃": ":", "▄": "-", "▅": "=", "▆": "+", "▇": "*",
        "─": "-", "│": "|", "┌": "+", "┐": "+", "└": "+", "┘": "+",
        "▸": ">", "…": "~", "·": "-", "↑": "^", "↓": "v", "→": ">", "←": "<", "×": "x", "±": "~",
        "–": "-", "—": "-", "“": "\"", "”": "\"", "‘": "'", "’": "'",
    ]

    /// `character`, or its stand-in; `?` for any other non-ASCII character (text from a service).
    package static func character(_ character: Character) -> Character {
        if character.isASCII { return character }
        return table[character] ?? "?"
    }

    /// `line` with every character ASCII, the same width and the same styles.
    package static func line(_ line: ScreenLine) -> ScreenLine {
        guard !line.text.allSatisfy(\.isASCII) else { return line }
        var result = ScreenLine()
        for (piece, style) in line.runs() { result.append(String(piece.map(character)), style) }
        return result
    }

    /// `text` with every character ASCII, for the terminal title.
    package static func text(_ text: String) -> String { String(text.map(character)) }
}
