#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

extension JSONEncoder {
    /// The one JSON dialect drainctl speaks, on the socket and in `--json` output: compact, sorted keys,
    /// unescaped slashes, ISO-8601 dates.
    ///
    /// Keys come from each type's explicit snake_case `CodingKeys`, not from a key strategy: a strategy
    /// rewrites every key of every line at run time, and it cannot spell `job_id` back to `jobID`.
    package static var drain: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }
}

extension JSONDecoder {
    /// The decoder matching ``Foundation/JSONEncoder/drain``.
    package static var drain: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }
}
