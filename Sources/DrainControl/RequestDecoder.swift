import DrainProtocol
import Foundation

/// Turns a request line into a ``ControlRequest`` or a precise error reply.
///
/// The code says which class of garbage the line is: `bad_json` when it is not JSON at all,
/// `bad_request` when it is JSON but not a request (wrong shape, wrong type, a number out of range,
/// nested too deeply). Clients and the fuzz tests rely on that split.
enum RequestDecoder {
    struct Failure: Error, Equatable {
        var id: Int?
        var code: WireErrorCode
        var message: String
    }

    /// The deepest nesting a request line may have. A request is one flat object; the limit only exists
    /// so that the parser never works through thousands of levels sent by a fuzzer or a bug.
    static let maxNesting = 64

    static func decode(_ bytes: Data) -> Result<ControlRequest, Failure> {
        switch Nesting.scan(bytes, limit: maxNesting) {
        case .within: break
        case .tooDeep(balanced: true):
            return .failure(
                Failure(code: .badRequest, message: "the request is nested more than \(maxNesting) levels deep"))
        case .tooDeep(balanced: false):
            return .failure(Failure(code: .badJSON, message: "the line is not valid JSON"))
        }
        let decoder = JSONDecoder.drain
        do {
            return .success(try decoder.decode(ControlRequest.self, from: bytes))
        } catch DecodingError.dataCorrupted(let context) where context.codingPath.isEmpty {
            // The decoder reports a number it cannot hold (an id of 2^63) as corrupt data at the root; the
            // line is still JSON, so the client sent a bad request, not garbage.
            guard (try? JSONSerialization.jsonObject(with: bytes, options: .fragmentsAllowed)) != nil else {
                return .failure(Failure(code: .badJSON, message: "the line is not valid JSON"))
            }
            return .failure(Failure(code: .badRequest, message: "a field of the request is out of range"))
        } catch DecodingError.typeMismatch(_, let context) where context.codingPath.isEmpty {
            return .failure(Failure(code: .badRequest, message: "a request is a JSON object, like {\"op\":\"status\"}"))
        } catch DecodingError.valueNotFound(_, let context) where context.codingPath.isEmpty {
            return .failure(Failure(code: .badRequest, message: "a request is a JSON object, like {\"op\":\"status\"}"))
        } catch DecodingError.keyNotFound(let key, _) {
            return .failure(
                Failure(
                    id: salvageID(bytes), code: .badRequest, message: "the request has no '\(key.stringValue)' field"))
        } catch DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context),
            DecodingError.dataCorrupted(let context)
        {
            let field = context.codingPath.map(\.stringValue).joined(separator: ".")
            return .failure(
                Failure(id: salvageID(bytes), code: .badRequest, message: "field '\(field)' has the wrong type"))
        } catch {
            return .failure(Failure(code: .badJSON, message: "the line is not valid JSON"))
        }
    }

    /// The request's id, when the rest of it is wrong, so the client can still match the error.
    private static func salvageID(_ bytes: Data) -> Int? {
        struct OnlyID: Decodable { var id: Int? }
        return (try? JSONDecoder.drain.decode(OnlyID.self, from: bytes))?.id
    }
}

/// How deeply a line nests arrays and objects, found without parsing it.
enum Nesting: Equatable {
    case within
    /// Deeper than the limit; `balanced` when every bracket outside strings is closed by its partner,
    /// which is how a deep but well-formed document looks (a truncated one is not).
    case tooDeep(balanced: Bool)

    static func scan(_ bytes: Data, limit: Int) -> Nesting {
        bytes.withUnsafeBytes { raw -> Nesting in
            var stack: [UInt8] = []
            var inString = false
            var escaped = false
            var tooDeep = false
            for byte in raw {
                if inString {
                    if escaped {
                        escaped = false
                    } else if byte == UInt8(ascii: "\\") {
                        escaped = true
                    } else if byte == UInt8(ascii: "\"") {
                        inString = false
                    }
                    continue
                }
                switch byte {
                case UInt8(ascii: "\""):
                    inString = true
                case UInt8(ascii: "["), UInt8(ascii: "{"):
                    stack.append(byte)
                    if stack.count > limit { tooDeep = true }
                case UInt8(ascii: "]"), UInt8(ascii: "}"):
                    let open = byte == UInt8(ascii: "]") ? UInt8(ascii: "[") : UInt8(ascii: "{")
                    guard stack.popLast() == open else { return tooDeep ? .tooDeep(balanced: false) : .within }
                default:
                    break
                }
            }
            guard tooDeep else { return .within }
            return .tooDeep(balanced: stack.isEmpty && !inString)
        }
    }
}
