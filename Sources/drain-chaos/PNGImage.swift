import Foundation

/// An RGB raster that encodes itself as a PNG: enough to draw a plot without an image library.
///
/// A plot has a handful of colours and long runs of one, so it is written as a palette image (one byte
/// per pixel) compressed with deflate's fixed Huffman codes and run-length matches (distance 1): a
/// 480×480 plot takes a few kilobytes, without zlib.
struct PNGImage: Sendable {
    let width: Int
    let height: Int
    private var pixels: [UInt8]

    /// A `width`×`height` image filled with `background`.
    init(width: Int, height: Int, background: (UInt8, UInt8, UInt8) = (255, 255, 255)) {
        self.width = width
        self.height = height
        pixels = Array(repeating: 0, count: width * height * 3)
        for index in 0..<(width * height) {
            pixels[index * 3] = background.0
            pixels[index * 3 + 1] = background.1
            pixels[index * 3 + 2] = background.2
        }
    }

    /// Sets one pixel; points outside the image are ignored.
    mutating func set(_ x: Int, _ y: Int, _ color: (UInt8, UInt8, UInt8)) {
        guard x >= 0, y >= 0, x < width, y < height else { return }
        let offset = (y * width + x) * 3
        pixels[offset] = color.0
        pixels[offset + 1] = color.1
        pixels[offset + 2] = color.2
    }

    /// Fills the rectangle from (x0, y0) to (x1, y1), both included.
    mutating func fill(_ x0: Int, _ y0: Int, _ x1: Int, _ y1: Int, _ color: (UInt8, UInt8, UInt8)) {
        for y in min(y0, y1)...max(y0, y1) {
            for x in min(x0, x1)...max(x0, x1) { set(x, y, color) }
        }
    }

    /// A straight line `thickness` pixels wide.
    mutating func line(
        _ x0: Int, _ y0: Int, _ x1: Int, _ y1: Int, _ color: (UInt8, UInt8, UInt8), thickness: Int = 1
    ) {
        let steps = max(abs(x1 - x0), abs(y1 - y0), 1)
        for step in 0...steps {
            let t = Double(step) / Double(steps)
            let x = Int((Double(x0) + t * Double(x1 - x0)).rounded())
            let y = Int((Double(y0) + t * Double(y1 - y0)).rounded())
            let half = thickness / 2
            fill(x - half, y - half, x - half + thickness - 1, y - half + thickness - 1, color)
        }
    }

    /// The PNG file.
    func encoded() -> Data {
        // The palette: every colour used, in order of first use (a plot has far fewer than 256).
        var palette: [UInt32: UInt8] = [:]
        var colours: [UInt8] = []
        var raw: [UInt8] = []
        raw.reserveCapacity(height * (width + 1))
        for y in 0..<height {
            raw.append(0)  // filter type: none
            for x in 0..<width {
                let offset = (y * width + x) * 3
                let key = UInt32(pixels[offset]) << 16 | UInt32(pixels[offset + 1]) << 8 | UInt32(pixels[offset + 2])
                if let index = palette[key] {
                    raw.append(index)
                } else {
                    // Past 256 colours the last entry is reused: never reached by the plots drawn here.
                    let index = UInt8(min(255, palette.count))
                    if palette.count < 256 {
                        palette[key] = index
                        colours.append(contentsOf: pixels[offset..<(offset + 3)])
                    }
                    raw.append(index)
                }
            }
        }
        var header: [UInt8] = []
        header.append(contentsOf: Self.bigEndian(UInt32(width)))
        header.append(contentsOf: Self.bigEndian(UInt32(height)))
        header.append(contentsOf: [8, 3, 0, 0, 0])  // 8 bits, palette, deflate, adaptive filters, no interlace
        var file: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        file.append(contentsOf: Self.chunk("IHDR", header))
        file.append(contentsOf: Self.chunk("PLTE", colours))
        file.append(contentsOf: Self.chunk("IDAT", Self.zlib(raw)))
        file.append(contentsOf: Self.chunk("IEND", []))
        return Data(file)
    }

    /// A zlib stream of one deflate block with the fixed Huffman codes: literals, and runs of a repeated
    /// byte as matches at distance 1.
    static func zlib(_ data: [UInt8]) -> [UInt8] {
        var bits = BitWriter()
        bits.write(1, count: 1)  // the last block
        bits.write(1, count: 2)  // fixed Huffman codes
        var index = 0
        while index < data.count {
            let byte = data[index]
            bits.literal(Int(byte))
            index += 1
            var run = 0
            while index + run < data.count, data[index + run] == byte, run < 258 { run += 1 }
            if run >= 3 {
                bits.match(length: run)
                index += run
            }
        }
        bits.literal(256)  // end of block
        var out: [UInt8] = [0x78, 0x01]
        out.append(contentsOf: bits.bytes())
        var a: UInt32 = 1
        var b: UInt32 = 0
        for byte in data {
            a = (a + UInt32(byte)) % 65_521
            b = (b + a) % 65_521
        }
        out.append(contentsOf: bigEndian(b << 16 | a))
        return out
    }

    private static func chunk(_ type: String, _ body: [UInt8]) -> [UInt8] {
        let typed = Array(type.utf8) + body
        return bigEndian(UInt32(body.count)) + typed + bigEndian(crc32(typed))
    }

    private static let crcTable: [UInt32] = (0..<256).map { n in
        var c = UInt32(n)
        for _ in 0..<8 { c = c & 1 == 1 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        return c
    }

    static func crc32(_ bytes: [UInt8]) -> UInt32 {
        var c: UInt32 = 0xFFFF_FFFF
        for byte in bytes { c = crcTable[Int((c ^ UInt32(byte)) & 0xFF)] ^ (c >> 8) }
        return c ^ 0xFFFF_FFFF
    }

    static func bigEndian(_ value: UInt32) -> [UInt8] {
        [UInt8(value >> 24), UInt8((value >> 16) & 0xFF), UInt8((value >> 8) & 0xFF), UInt8(value & 0xFF)]
    }
}

/// Deflate's bit stream: values least significant bit first, Huffman codes most significant bit first.
private struct BitWriter {
    private var out: [UInt8] = []
    private var current: UInt32 = 0
    private var filled = 0

    mutating func write(_ value: Int, count: Int) {
        for bit in 0..<count {
            current |= UInt32((value >> bit) & 1) << filled
            filled += 1
            if filled == 8 {
                out.append(UInt8(current))
                current = 0
                filled = 0
            }
        }
    }

    /// A Huffman code of `count` bits, most significant first.
    mutating func code(_ value: Int, count: Int) {
        for bit in stride(from: count - 1, through: 0, by: -1) { write((value >> bit) & 1, count: 1) }
    }

    /// A literal/length symbol (0–287) in the fixed code.
    mutating func literal(_ symbol: Int) {
        switch symbol {
        case 0...143: code(0x30 + symbol, count: 8)
        case 144...255: code(0x190 + symbol - 144, count: 9)
        case 256...279: code(symbol - 256, count: 7)
        default: code(0xC0 + symbol - 280, count: 8)
        }
    }

    /// A match of `length` (3–258) bytes at distance 1.
    mutating func match(length: Int) {
        // (first length, extra bits) of the length codes 257...285.
        let bases: [(Int, Int)] = [
            (3, 0), (4, 0), (5, 0), (6, 0), (7, 0), (8, 0), (9, 0), (10, 0), (11, 1), (13, 1), (15, 1), (17, 1),
            (19, 2), (23, 2), (27, 2), (31, 2), (35, 3), (43, 3), (51, 3), (59, 3), (67, 4), (83, 4), (99, 4),
            (115, 4), (131, 5), (163, 5), (195, 5), (227, 5), (258, 0),
        ]
        let index = length == 258 ? 28 : (bases.lastIndex { $0.0 <= length } ?? 0)
        literal(257 + index)
        write(length - bases[index].0, count: bases[index].1)
        code(0, count: 5)  // distance code 0: distance 1, no extra bits
    }

    mutating func bytes() -> [UInt8] {
        if filled > 0 {
            out.append(UInt8(current))
            current = 0
            filled = 0
        }
        return out
    }
}
