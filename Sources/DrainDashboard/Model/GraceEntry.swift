import DrainProtocol

/// What the operator typed at `s`'s grace prompt, read the same way on every screen.
enum GraceEntry: Equatable {
    /// Nothing typed: the service's own default grace.
    case serviceDefault
    case seconds(Double)
    case invalid

    init(_ text: String) {
        if text.isEmpty {
            self = .serviceDefault
        } else if let seconds = Double(text), ControlProtocol.isValidGrace(seconds) {
            self = .seconds(seconds)
        } else {
            self = .invalid
        }
    }

    static let invalidMessage = "the grace is a number of seconds from 0 to 86400"
}

/// What one key does at the grace prompt, on every screen.
enum GracePromptKey: Equatable {
    /// The prompt's new text.
    case edit(String)
    case cancel
    case submit(GraceEntry)
    case ignore

    /// - Parameter replacing: The text is an offer (the planner's grace): the first digit replaces it.
    init(_ key: Key, text: String, replacing: Bool = false) {
        switch key {
        case .character(let c) where c.isASCII && (c.isNumber || c == "."):
            let base = replacing ? "" : text
            self = .edit(base.count < 7 ? base + String(c) : text)
        case .backspace: self = .edit(String(text.dropLast()))
        case .escape: self = .cancel
        case .enter: self = .submit(GraceEntry(text))
        default: self = .ignore
        }
    }
}
