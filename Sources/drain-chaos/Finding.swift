import Drain

/// Something the record shows that the product promises cannot happen.
struct Finding: Sendable, Hashable, Encodable {
    /// What went wrong.
    enum Kind: String, Sendable, Hashable, Encodable {
        /// An accepted (or started) job never finished, and the final drain ended with nothing queued.
        case lost
        /// A job ran again although its earlier run was neither forced nor killed.
        case unexplainedDuplicate = "unexplained_duplicate"
        /// A process that drained cleanly left a job's run unfinished.
        case interruptedInCleanDrain = "interrupted_in_clean_drain"
        /// The same id was acknowledged twice: the journal handed out an id again.
        case acceptedTwice = "accepted_twice"
        /// `done` or `failed` for a job with no run open in that process.
        case endWithoutStart = "end_without_start"
        /// A job line outside any process, or processes that overlap: the record itself is broken.
        case misplacedLine = "misplaced_line"
        /// The record does not end with a final process that drained cleanly, so nothing can be called lost.
        case incomplete
    }

    var kind: Kind
    var job: JobID?
    var detail: String
}
