/// An SVG image written as text: rectangles, lines and labels, in user units, with no image library.
///
/// The drain timeline (`drainctl report --svg`) draws with it; any plot of ours that should render on
/// GitHub and in every browser can too. Numbers are written with one decimal and no locale, so the same
/// picture is the same bytes (golden tests compare them).
public struct SVGDocument: Sendable {
    /// Where a label's `x` falls: its start, middle or end.
    public enum Anchor: String, Sendable {
        case start, middle, end
    }

    public let width: Double
    public let height: Double
    private var body: [String] = []

    /// An empty picture of `width` × `height` units (pixels, when rendered at 100 %).
    public init(width: Double, height: Double) {
        self.width = width
        self.height = height
    }

    /// A filled rectangle; `title` becomes its tooltip in a browser.
    public mutating func rect(
        x: Double, y: Double, width: Double, height: Double, fill: String, opacity: Double? = nil,
        title: String? = nil
    ) {
        var element =
            "<rect x=\"\(Self.number(x))\" y=\"\(Self.number(y))\" width=\"\(Self.number(max(0, width)))\" "
            + "height=\"\(Self.number(max(0, height)))\" fill=\"\(Self.escape(fill))\""
        if let opacity { element += " fill-opacity=\"\(Self.number(opacity, places: 2))\"" }
        if let title {
            element += "><title>\(Self.escape(title))</title></rect>"
        } else {
            element += "/>"
        }
        body.append(element)
    }

    /// A straight line; `dash` is an SVG dash array such as `"4 3"`.
    public mutating func line(
        x1: Double, y1: Double, x2: Double, y2: Double, stroke: String, width: Double = 1, dash: String? = nil
    ) {
        var element =
            "<line x1=\"\(Self.number(x1))\" y1=\"\(Self.number(y1))\" x2=\"\(Self.number(x2))\" "
            + "y2=\"\(Self.number(y2))\" stroke=\"\(Self.escape(stroke))\" stroke-width=\"\(Self.number(width))\""
        if let dash { element += " stroke-dasharray=\"\(Self.escape(dash))\"" }
        body.append(element + "/>")
    }

    /// A one-line label whose baseline is at `y`.
    public mutating func text(
        _ text: String, x: Double, y: Double, size: Double = 12, anchor: Anchor = .start, fill: String = "#222",
        bold: Bool = false
    ) {
        var element =
            "<text x=\"\(Self.number(x))\" y=\"\(Self.number(y))\" font-size=\"\(Self.number(size))\" "
            + "text-anchor=\"\(anchor.rawValue)\" fill=\"\(Self.escape(fill))\""
        if bold { element += " font-weight=\"bold\"" }
        body.append(element + ">\(Self.escape(text))</text>")
    }

    /// The whole document: an XML declaration, the `svg` element with its size and view box, the elements
    /// in the order drawn (later ones on top).
    public var rendered: String {
        var out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        out +=
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Self.number(width))\" "
            + "height=\"\(Self.number(height))\" viewBox=\"0 0 \(Self.number(width)) \(Self.number(height))\" "
            + "font-family=\"DejaVu Sans Mono, Menlo, Consolas, monospace\">\n"
        for element in body { out += "  " + element + "\n" }
        return out + "</svg>\n"
    }

    /// `text` safe inside an attribute or an element: the five XML specials escaped, control characters
    /// (which XML 1.0 forbids) dropped.
    public static func escape(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            case "\t", "\n", "\r": out.unicodeScalars.append(scalar)
            default:
                if scalar.value >= 0x20 { out.unicodeScalars.append(scalar) }
            }
        }
        return out
    }

    /// `12.5`, `-3`, `0.25`: `value` rounded to `places` decimals, trailing zeros dropped, never `-0`.
    public static func number(_ value: Double, places: Int = 1) -> String {
        guard value.isFinite else { return "0" }
        var scale = 1.0
        for _ in 0..<places { scale *= 10 }
        let scaled = Int64((abs(value) * scale).rounded())
        guard scaled != 0 else { return "0" }
        let whole = scaled / Int64(scale)
        var fraction = String(scaled % Int64(scale))
        while fraction.count < places { fraction = "0" + fraction }
        while fraction.hasSuffix("0") { fraction.removeLast() }
        return (value < 0 ? "-" : "") + String(whole) + (fraction.isEmpty ? "" : "." + fraction)
    }
}
