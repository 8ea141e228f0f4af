import ArgumentParser

/// `--grace`: seconds, or `auto` for the planner's grace (what drains everything in flight now with
/// 90 % probability), capped by `--max-grace`.
enum GraceChoice: ExpressibleByArgument, Equatable {
    case seconds(Double)
    case auto

    init?(argument: String) {
        if argument == "auto" {
            self = .auto
        } else if let seconds = Double(argument) {
            // The range is checked in validate(), which says what is allowed.
            self = .seconds(seconds)
        } else {
            return nil
        }
    }

    static var defaultCompletionKind: CompletionKind { .list(["auto"]) }
}
