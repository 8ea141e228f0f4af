import Foundation

/// An RGB raster that encodes itself as a PNG: enough to draw a plot without an image library.
///
/// The pixel data goes into zlib "stored" (uncompressed) deflate blocks, which every PNG reader accepts;
/// a 480×480 plot is then about 700 KB, a fair price for no dependency.
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
        var raw: [UInt8] = []
        raw.reserveCapacity(height * (width * 3 + 1))
        for y in 0..<height {
            raw.append(0)  // filter type: none
            raw.append(contentsOf: pixels[(y * width * 3)..<((y + 1) * width * 3)])
        }
        var header: [UInt8] = []
        header.append(contentsOf: Self.bigEndian(UInt32(width)))
        header.append(contentsOf: Self.bigEndian(UInt32(height)))
        header.append(contentsOf: [8, 2, 0, 0, 0])  // 8 bits, RGB, deflate, adaptive filters, no interlace
        var file: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        file.append(contentsOf: Self.chunk("IHDR", header))
        file.append(contentsOf: Self.chunk("IDAT", Self.zlibStored(raw)))
        file.append(contentsOf: Self.chunk("IEND", []))
        return Data(file)
    }

    private static func zlibStored(_ data: [UInt8]) -> [UInt8] {
        var out: [UInt8] = [0x78, 0x01]
        var offset = 0
        repeat {
            let length = min(65_535, data.count - offset)
            let last: UInt8 = offset + length == data.count ? 1 : 0
            out.append(last)
            out.append(UInt8(length & 0xFF))
            out.append(UInt8(length >> 8))
            out.append(UInt8(~length & 0xFF))
            out.append(UInt8((~length >> 8) & 0xFF))
            out.append(contentsOf: data[offset..<(offset + length)])
            offset += length
        } while offset < data.count
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

    private static func bigEndian(_ value: UInt32) -> [UInt8] {
        [UInt8(value >> 24), UInt8((value >> 16) & 0xFF), UInt8((value >> 8) & 0xFF), UInt8(value & 0xFF)]
    }
}
