import ArgumentParser
import DrainProtocol

/// `--grace`: seconds, or `auto` for the planner's grace, capped by `--max-grace`. The range is checked
/// in `validate()`, which says what is allowed.
extension ShutdownGrace: ExpressibleByArgument {
    public init?(argument: String) { self.init(argument) }

    public static var defaultCompletionKind: CompletionKind { .list(["auto"]) }
}
