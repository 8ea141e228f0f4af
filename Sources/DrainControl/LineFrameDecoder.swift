import NIOCore

#if canImport(Glibc)
    import Glibc
#endif

/// Splits the byte stream into lines, refusing any line longer than a limit.
///
/// Without the limit a client that never sends a newline would make the server buffer without end.
struct LineFrameDecoder: ByteToMessageDecoder {
    typealias InboundOut = ByteBuffer

    struct LineTooLong: Error {}

    let maxLength: Int
    /// How many readable bytes are already known to hold no newline. Without it, a line arriving a byte
    /// at a time would be searched from its start on every byte: quadratic work a client could ask for.
    private var searched = 0

    init(maxLength: Int) { self.maxLength = maxLength }

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let line = try Self.nextLine(in: &buffer, maxLength: maxLength, searched: &searched) else {
            return .needMoreData
        }
        context.fireChannelRead(Self.wrapInboundOut(line))
        return .continue
    }

    mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws
        -> DecodingState
    {
        while let line = try Self.nextLine(in: &buffer, maxLength: maxLength, searched: &searched) {
            context.fireChannelRead(Self.wrapInboundOut(line))
        }
        if let last = try Self.lastLine(in: &buffer, maxLength: maxLength) {
            context.fireChannelRead(Self.wrapInboundOut(last))
        }
        return .needMoreData
    }

    /// Takes the next complete line (without its `\n` or `\r\n`) off the front of `buffer`, or nil when
    /// no newline has arrived yet.
    ///
    /// The framing without a channel, so it can be tested on any split of the stream.
    /// - Parameter searched: Readable bytes already searched in vain; updated, and reset after a line.
    /// - Throws: ``LineTooLong`` when the line, or the bytes buffered without a newline, exceed `maxLength`.
    static func nextLine(in buffer: inout ByteBuffer, maxLength: Int, searched: inout Int) throws -> ByteBuffer? {
        let start = min(searched, buffer.readableBytes)
        // memchr: fast in debug builds too, where a generic byte loop over 64 KiB is not.
        let found = buffer.withUnsafeReadableBytes { raw -> Int? in
            guard raw.count > start, let base = raw.baseAddress else { return nil }
            guard let hit = memchr(base + start, 10, raw.count - start) else { return nil }
            return base.distance(to: UnsafeRawPointer(hit))
        }
        guard let newline = found else {
            searched = buffer.readableBytes
            // One byte over is still fine while it may be the `\r` of a `\r\n`.
            let pendingCR =
                buffer.readableBytes > 0 && buffer.getInteger(at: buffer.writerIndex - 1, as: UInt8.self) == 13 ? 1 : 0
            if buffer.readableBytes > maxLength + pendingCR { throw LineTooLong() }
            return nil
        }
        searched = 0
        var length = newline
        // The limit applies to the request, so a `\r\n` ending does not make a line of exactly the
        // limit too long.
        let crlf = length > 0 && buffer.getInteger(at: buffer.readerIndex + newline - 1, as: UInt8.self) == 13
        if crlf { length -= 1 }
        guard length <= maxLength else { throw LineTooLong() }
        let line = buffer.readSlice(length: length)!
        buffer.moveReaderIndex(forwardBy: crlf ? 2 : 1)
        return line
    }

    /// ``nextLine(in:maxLength:searched:)`` without remembering the search, for one-off use.
    static func nextLine(in buffer: inout ByteBuffer, maxLength: Int) throws -> ByteBuffer? {
        var searched = 0
        return try nextLine(in: &buffer, maxLength: maxLength, searched: &searched)
    }

    /// At end of stream: a last line without its newline is still a request (`printf '{"op":"status"}' | socat`).
    static func lastLine(in buffer: inout ByteBuffer, maxLength: Int) throws -> ByteBuffer? {
        guard buffer.readableBytes > 0 else { return nil }
        if buffer.readableBytes > maxLength { throw LineTooLong() }
        var line = buffer.readSlice(length: buffer.readableBytes)!
        if line.readableBytesView.last == UInt8(ascii: "\r") {
            line = line.getSlice(at: line.readerIndex, length: line.readableBytes - 1)!
        }
        return line
    }
}
