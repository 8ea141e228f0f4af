import NIOCore
import PropertyBased
import Testing

@testable import DrainControl

/// Line framing on any split of the stream: what goes in as lines comes out as the same lines.
@Suite("line framing")
struct LineFramingTests {
    static let limit = 48

    /// Lines of random bytes (no newline), some over the limit, some ending in `\r\n`, cut into random chunks.
    static let lines = Gen<UInt8>.value(in: 0...255).map { $0 == 10 ? UInt8(9) : $0 }.array(of: 0...(limit + 8))
        .array(of: 1...12)
    static let endings = Gen.bool(0.3).array(of: 12)
    static let cuts = Gen.int(in: 1...20).array(of: 1...60)

    @Test("any chunking yields the same lines, and the first over-long line stops the stream")
    func anyChunking() async {
        await propertyCheck(count: 3_000, input: Self.lines, Self.endings, Self.cuts) { lines, crlf, cuts in
            var wire: [UInt8] = []
            for (index, line) in lines.enumerated() { wire += line + (crlf[index] ? [13, 10] : [10]) }
            // What a correct framer yields: each line minus one trailing `\r`, until one is too long.
            var expected: [[UInt8]] = []
            var tooLong = false
            for (index, line) in lines.enumerated() {
                let body = crlf[index] ? line : (line.last == 13 ? Array(line.dropLast()) : line)
                if body.count > Self.limit {
                    tooLong = true
                    break
                }
                expected.append(body)
            }
            var buffer = ByteBuffer()
            var got: [[UInt8]] = []
            var threw = false
            var offset = 0
            var cut = 0
            var searched = 0
            feeding: while offset < wire.count {
                let size = min(cuts[cut % cuts.count], wire.count - offset)
                cut += 1
                buffer.writeBytes(wire[offset..<offset + size])
                offset += size
                do {
                    while let line = try LineFrameDecoder.nextLine(
                        in: &buffer, maxLength: Self.limit, searched: &searched)
                    {
                        got.append(Array(line.readableBytesView))
                    }
                } catch {
                    threw = true
                    break feeding
                }
            }
            #expect(threw == tooLong)
            if tooLong {
                #expect(got.count <= expected.count && Array(expected.prefix(got.count)) == got)
            } else {
                #expect(got == expected)
                #expect(buffer.readableBytes == 0)
            }
        }
    }

    @Test("a line of exactly the limit passes with \\n and with \\r\\n; one byte more does not")
    func boundary() throws {
        for ending: [UInt8] in [[10], [13, 10]] {
            var buffer = ByteBuffer(bytes: [UInt8](repeating: 65, count: Self.limit) + ending)
            #expect(try LineFrameDecoder.nextLine(in: &buffer, maxLength: Self.limit)?.readableBytes == Self.limit)
            var over = ByteBuffer(bytes: [UInt8](repeating: 65, count: Self.limit + 1) + ending)
            #expect(throws: LineFrameDecoder.LineTooLong.self) {
                try LineFrameDecoder.nextLine(in: &over, maxLength: Self.limit)
            }
        }
        // The `\r` of a `\r\n` may arrive before its `\n` without tripping the limit.
        var pending = ByteBuffer(bytes: [UInt8](repeating: 65, count: Self.limit) + [13])
        #expect(try LineFrameDecoder.nextLine(in: &pending, maxLength: Self.limit) == nil)
        pending.writeBytes([10])
        #expect(try LineFrameDecoder.nextLine(in: &pending, maxLength: Self.limit)?.readableBytes == Self.limit)
    }
}
