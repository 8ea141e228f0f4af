import DrainDashboard
import DrainProtocol
import DrainSVG
import DrainTestSupport
import Foundation
import Testing

#if canImport(FoundationXML)
    import FoundationXML
#endif

@Suite("The drain timeline as SVG", .timeLimit(.minutes(5)))
struct TimelineSVGTests {
    /// Counts the elements of a document, and the rectangles filled with the cut red.
    final class Census: NSObject, XMLParserDelegate {
        var elements: [String: Int] = [:]
        var redRects = 0
        var rootSize: (String, String)?

        func parser(
            _ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
            attributes: [String: String] = [:]
        ) {
            elements[name, default: 0] += 1
            if name == "rect", attributes["fill"] == TimelineSVG.cutColor { redRects += 1 }
            if name == "svg" { rootSize = (attributes["width"] ?? "", attributes["height"] ?? "") }
        }
    }

    static func census(_ svg: String) throws -> Census {
        let parser = XMLParser(data: Data(svg.utf8))
        let census = Census()
        parser.delegate = census
        #expect(parser.parse(), "not well-formed: \(String(describing: parser.parserError))")
        return census
    }

    @Test("every fixture's SVG is well-formed XML; the forced drain has a red bar per cut job, the clean none")
    func wellFormed() throws {
        for fixture in TimelineFixtures.all {
            let census = try Self.census(TimelineSVG.document(fixture.entry))
            #expect(census.elements["svg"] == 1)
            #expect(census.rootSize?.0 == "960")
            #expect(census.redRects == (fixture.name == "forced" ? 3 : 0), "\(fixture.name)")
        }
    }

    @Test("text from a service is escaped: a job kind with markup stays text")
    func escaping() throws {
        var entry = TimelineFixtures.forced
        entry.report.timeline?.lanes[0].kind = "<script>&\"'"
        entry.report.name = "a]]>b\u{1}"
        let census = try Self.census(TimelineSVG.document(entry))
        #expect(census.elements["script"] == nil)
        #expect(SVGDocument.number(-0.04) == "0" && SVGDocument.number(12.25) == "12.3")
    }

    @Test("rsvg-convert renders it: the PNG has the SVG's size, and the cut red is there only for cut jobs")
    func rendered() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("svg-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        for fixture in [TimelineFixtures.forced, TimelineFixtures.clean] {
            let svg = directory.appendingPathComponent("\(fixture.id).svg")
            let png = directory.appendingPathComponent("\(fixture.id).png")
            let text = TimelineSVG.document(fixture)
            try Data(text.utf8).write(to: svg)
            let census = try Self.census(text)
            let render = try await shell("rsvg-convert -f png -o \"$2\" \"$1\"", [svg.path, png.path])
            #expect(render.code == 0, "rsvg-convert: \(render.out)")
            let pixels = try await shell("python3 -c \"$1\" \"$2\"", [Self.pngCensus, png.path])
            #expect(pixels.code == 0, "\(pixels.out)")
            let numbers = pixels.out.split(whereSeparator: \.isWhitespace).compactMap { Int($0) }
            #expect(numbers.count == 3)
            guard numbers.count == 3 else { continue }
            #expect("\(numbers[0])" == census.rootSize?.0 && "\(numbers[1])" == census.rootSize?.1)
            if fixture.report.outcome == .forced {
                // Three cut bars, each at least 3 × 14 pixels of the exact red.
                #expect(numbers[2] >= 3 * 3 * 14, "red pixels: \(numbers[2])")
            } else {
                #expect(numbers[2] == 0, "a clean drain has no red")
            }
        }
    }

    /// Decodes an 8-bit RGB or RGBA PNG (zlib and the five row filters) and prints its width, its height
    /// and how many pixels are the cut red (within a small tolerance for anti-aliasing).
    static let pngCensus = """
        import struct, sys, zlib
        data = open(sys.argv[1], 'rb').read()
        assert data[:8] == b'\\x89PNG\\r\\n\\x1a\\n', 'not a PNG'
        pos, idat = 8, b''
        while pos < len(data):
            length, kind = struct.unpack('>I4s', data[pos:pos + 8])
            body = data[pos + 8:pos + 8 + length]
            pos += 12 + length
            if kind == b'IHDR':
                width, height, depth, ctype = struct.unpack('>IIBB', body[:10])
            elif kind == b'IDAT':
                idat += body
        assert depth == 8 and ctype in (2, 6), (depth, ctype)
        bpp = 3 if ctype == 2 else 4
        raw = zlib.decompress(idat)
        stride = width * bpp
        prev, red, i = bytearray(stride), 0, 0
        for y in range(height):
            f = raw[i]
            line = bytearray(raw[i + 1:i + 1 + stride])
            i += 1 + stride
            for x in range(stride):
                a = line[x - bpp] if x >= bpp else 0
                b = prev[x]
                c = prev[x - bpp] if x >= bpp else 0
                if f == 1: line[x] = (line[x] + a) & 255
                elif f == 2: line[x] = (line[x] + b) & 255
                elif f == 3: line[x] = (line[x] + (a + b) // 2) & 255
                elif f == 4:
                    p = a + b - c
                    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                    line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
            for x in range(0, stride, bpp):
                if abs(line[x] - 0xd6) <= 6 and abs(line[x + 1] - 0x27) <= 6 and abs(line[x + 2] - 0x28) <= 6:
                    red += 1
            prev = line
        print(width, height, red)
        """
}
