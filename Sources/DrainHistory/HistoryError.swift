/// Why a drain history could not be read.
public struct HistoryError: Error, Sendable, CustomStringConvertible {
    /// What went wrong, for choosing an exit code.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        enum Kind: Hashable, Sendable {
            case unreadable, noHistory, notFound, corrupt
        }

        let kind: Kind

        /// The journal file cannot be opened or read.
        public static let unreadable = Code(kind: .unreadable)
        /// The file opens but keeps no drain history (not a journal, or one from before the history).
        public static let noHistory = Code(kind: .noHistory)
        /// No drain with that ID is kept (never recorded, or pruned by the retention).
        public static let notFound = Code(kind: .notFound)
        /// A kept report cannot be decoded.
        public static let corrupt = Code(kind: .corrupt)

        public var description: String { "\(kind)" }
    }

    public var code: Code
    /// One sentence for the operator.
    public var message: String
    public var cause: (any Error)?

    public init(_ code: Code, _ message: String, cause: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.cause = cause
    }

    public var description: String { cause.map { "\(message): \($0)" } ?? message }
}
