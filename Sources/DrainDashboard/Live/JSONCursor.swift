#if canImport(Glibc)
    import Glibc
#endif

/// A forward-only reader over one line of JSON, for the snapshot that arrives ten times a second.
///
/// `JSONDecoder` builds a map of the whole line and a keyed container (a dictionary of every key) for
/// each of the 50 jobs; that was most of `top`'s CPU. This reads values in place, compares keys as
/// bytes, and skips what it is not asked for. Anything it does not understand throws ``Malformed``, and
/// the caller hands the line to the full decoder, which has the last word on what is valid.
struct JSONCursor {
    struct Malformed: Error {}

    private let bytes: UnsafeBufferPointer<UInt8>
    private var index = 0

    init(_ bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

    private var current: UInt8? { index < bytes.count ? bytes[index] : nil }

    private mutating func skipSpace() {
        while let byte = current, byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 {
            index += 1
        }
    }

    private mutating func take(_ byte: UInt8) throws {
        skipSpace()
        guard current == byte else { throw Malformed() }
        index += 1
    }

    /// True (and consumed) when the next value is `null`.
    mutating func null() -> Bool {
        skipSpace()
        guard index + 4 <= bytes.count, bytes[index] == UInt8(ascii: "n"),
            bytes[index + 1] == UInt8(ascii: "u"),
            bytes[index + 2] == UInt8(ascii: "l"), bytes[index + 3] == UInt8(ascii: "l")
        else { return false }
        index += 4
        return true
    }

    /// Calls `body` with each key of an object, the cursor on its value; `body` must read or skip it.
    mutating func object(_ body: (inout JSONCursor, UnsafeBufferPointer<UInt8>) throws -> Void) throws {
        try take(UInt8(ascii: "{"))
        skipSpace()
        if current == UInt8(ascii: "}") {
            index += 1
            return
        }
        while true {
            let key = try rawString()
            try take(UInt8(ascii: ":"))
            try body(&self, key)
            skipSpace()
            guard let byte = current else { throw Malformed() }
            index += 1
            if byte == UInt8(ascii: "}") { return }
            guard byte == UInt8(ascii: ",") else { throw Malformed() }
            skipSpace()
        }
    }

    /// Calls `body` with the cursor on each element of an array; `body` must read or skip it.
    mutating func array(_ body: (inout JSONCursor) throws -> Void) throws {
        try take(UInt8(ascii: "["))
        skipSpace()
        if current == UInt8(ascii: "]") {
            index += 1
            return
        }
        while true {
            try body(&self)
            skipSpace()
            guard let byte = current else { throw Malformed() }
            index += 1
            if byte == UInt8(ascii: "]") { return }
            guard byte == UInt8(ascii: ",") else { throw Malformed() }
        }
    }

    /// A string without escapes, as its bytes; a string with escapes throws (keys and the service's
    /// names never have any, and a message that does goes to the full decoder).
    private mutating func rawString() throws -> UnsafeBufferPointer<UInt8> {
        try take(UInt8(ascii: "\""))
        let start = index
        while let byte = current, byte != UInt8(ascii: "\"") {
            guard byte != UInt8(ascii: "\\"), byte >= 0x20 else { throw Malformed() }
            index += 1
        }
        guard current != nil else { throw Malformed() }
        index += 1
        return UnsafeBufferPointer(rebasing: bytes[start..<(index - 1)])
    }

    mutating func string() throws -> String {
        String(decoding: try rawString(), as: UTF8.self)
    }

    mutating func bool() throws -> Bool {
        skipSpace()
        if bytes[index...].starts(with: "true".utf8) {
            index += 4
            return true
        }
        if bytes[index...].starts(with: "false".utf8) {
            index += 5
            return false
        }
        throw Malformed()
    }

    mutating func double() throws -> Double {
        skipSpace()
        let start = index
        while let byte = current,
            (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || byte == UInt8(ascii: "-")
                || byte == UInt8(ascii: "+") || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "e")
                || byte == UInt8(ascii: "E")
        {
            index += 1
        }
        let count = index - start
        guard count > 0, count < 64 else { throw Malformed() }
        // strtod needs a terminated string: copy the few bytes of the number to the stack.
        return try withUnsafeTemporaryAllocation(of: CChar.self, capacity: count + 1) { buffer in
            for offset in 0..<count { buffer[offset] = CChar(bitPattern: bytes[start + offset]) }
            buffer[count] = 0
            var end: UnsafeMutablePointer<CChar>?
            let value = strtod(buffer.baseAddress!, &end)
            guard end == buffer.baseAddress! + count, value.isFinite else { throw Malformed() }
            return value
        }
    }

    mutating func int() throws -> Int {
        let value = try double()
        guard value == value.rounded(), abs(value) < 9e15 else { throw Malformed() }
        return Int(value)
    }

    /// Skips any value: strings (escapes included), numbers, literals, arrays and objects.
    mutating func skip() throws {
        skipSpace()
        guard let byte = current else { throw Malformed() }
        switch byte {
        case UInt8(ascii: "\""):
            index += 1
            while let next = current, next != UInt8(ascii: "\"") {
                index += next == UInt8(ascii: "\\") ? 2 : 1
            }
            guard current != nil else { throw Malformed() }
            index += 1
        case UInt8(ascii: "{"): try object { cursor, _ in try cursor.skip() }
        case UInt8(ascii: "["): try array { try $0.skip() }
        case UInt8(ascii: "t"), UInt8(ascii: "f"): _ = try bool()
        case UInt8(ascii: "n"): guard null() else { throw Malformed() }
        default: _ = try double()
        }
    }
}

extension JSONCursor {
    /// Whether `bytes` (a key) spell `key`, without making a `String`.
    static func key(_ bytes: UnsafeBufferPointer<UInt8>, is key: StaticString) -> Bool {
        bytes.count == key.utf8CodeUnitCount
            && (bytes.isEmpty || memcmp(bytes.baseAddress!, key.utf8Start, bytes.count) == 0)
    }
}
