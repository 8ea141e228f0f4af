import DrainProtocol
import Foundation
import GRDB

/// The durations one calibration drain leaves to the next: its journal's finished jobs, without its
/// backlog.
///
/// Sharing one journal across drains would carry the backlog too: the demo's longest exports, requeued
/// by every forced drain and claimed first by the next start, would end up filling every slot. Each
/// drain instead starts on a copy of this file, which holds only `done` and `failed` rows: a new service
/// with a fresh queue and its predecessors' history.
struct HistoryJournal: Sendable {
    let path: String

    /// Puts a copy of the history (if there is one yet) where the next drain's journal goes.
    func seed(_ journal: String) throws {
        guard FileManager.default.fileExists(atPath: path) else { return }
        try? FileManager.default.removeItem(atPath: journal)
        try FileManager.default.copyItem(atPath: path, toPath: journal)
    }

    /// Replaces the history with `journal`'s finished jobs.
    func absorb(_ journal: String) throws {
        let partial = path + ".partial"
        try? FileManager.default.removeItem(atPath: partial)
        do {
            let source = try DatabaseQueue(path: journal)
            try source.writeWithoutTransaction { db in
                try db.execute(sql: "VACUUM INTO ?", arguments: [partial])
            }
            try source.close()
            let copy = try DatabaseQueue(path: partial)
            try copy.write { db in
                try db.execute(sql: "DELETE FROM jobs WHERE state IN ('\(JobState.queued)', '\(JobState.running)')")
            }
            try copy.close()
        } catch {
            throw ChaosError(.invalidInput, "cannot carry the history of \(journal) to \(path): \(error)")
        }
        guard rename(partial, path) == 0 else {
            throw ChaosError(.invalidInput, "cannot rename \(partial) to \(path): \(String(cString: strerror(errno)))")
        }
    }
}
