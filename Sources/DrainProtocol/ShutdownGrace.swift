/// A `shutdown` request's grace: seconds, or `"auto"` for the grace the service's planner chooses as its
/// drain begins (docs/PROTOCOL.md, "Planned grace").
///
/// On the wire it is the `grace` field, a number or the string `"auto"`. A server older than `"auto"`
/// answers it with `bad_request` ("field 'grace' has the wrong type"), never with a drain on some other
/// grace, so a client can tell and plan from the server's `status` instead.
public enum ShutdownGrace: Sendable, Hashable, Codable {
    /// This many seconds (``ControlProtocol/graceRange``).
    case seconds(Double)
    /// The planner's: the time that drains every job in flight as the drain begins with 90 % probability,
    /// whole seconds up, at most the request's `max_grace`.
    case auto

    /// Parses `auto` or a number of seconds; the range is the caller's to check, with its own message.
    public init?(_ text: String) {
        if text == "auto" {
            self = .auto
        } else if let seconds = Double(text) {
            self = .seconds(seconds)
        } else {
            return nil
        }
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let seconds = try? container.decode(Double.self) {
            self = .seconds(seconds)
        } else if try container.decode(String.self) == "auto" {
            self = .auto
        } else {
            throw DecodingError.typeMismatch(
                ShutdownGrace.self,
                .init(codingPath: decoder.codingPath, debugDescription: "a grace is a number of seconds or \"auto\""))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .seconds(let seconds): try container.encode(seconds)
        case .auto: try container.encode("auto")
        }
    }
}
