import CDrainSQLite
import DrainProtocol

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Reads the drain history an embedded journal (`SQLiteJournal`) keeps in its `drains` table: read-only,
/// with the system libsqlite3's C API.
///
/// Why not GRDB, which the journal itself uses: `drainctl` links no server stack (no NIO, no GRDB), and
/// two queries need none of it. Why linked rather than opened with dlopen like libpq and ncursesw:
/// libsqlite3 is one library that needs only libc and libm (`ldd`), so mapping it in every command costs
/// next to nothing, where libpq brought ~22 libraries.
public final class SQLiteHistoryReader {
    private let database: OpaquePointer
    public let path: String

    /// Opens the journal file read-only.
    /// - Throws: ``HistoryError`` `.unreadable` when the file cannot be opened, `.noHistory` when it keeps
    ///   no drain history.
    public init(path: String) throws {
        self.path = path
        guard FileManager.default.isReadableFile(atPath: path) else {
            throw HistoryError(.unreadable, "cannot read the journal at \(path): no such readable file")
        }
        var handle: OpaquePointer?
        let code = sqlite3_open_v2(path, &handle, SQLITE_OPEN_READONLY, nil)
        guard code == SQLITE_OK, let handle else {
            let message = handle.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            sqlite3_close(handle)
            throw HistoryError(.unreadable, "cannot open the journal at \(path): \(message)")
        }
        database = handle
        // The journal's own process may be writing; wait for its transaction rather than fail.
        sqlite3_busy_timeout(handle, 2000)
        do {
            _ = try rows("SELECT id FROM drains LIMIT 0", [])
        } catch let error as HistoryError where error.code == .unreadable {
            // Fully initialised by now: deinit closes the handle.
            throw HistoryError(
                .noHistory,
                "the journal at \(path) keeps no drain history (not a journal, or written before drains were kept)",
                cause: error)
        }
    }

    deinit { sqlite3_close(database) }

    /// The newest drains, newest first.
    /// - Throws: ``HistoryError``.
    public func recent(limit: Int) throws -> [DrainHistoryEntry] {
        try entries("SELECT id, host, report FROM drains ORDER BY id DESC LIMIT ?", [Int64(max(0, limit))])
    }

    /// The drains that stopped at or after `since`, oldest first.
    /// - Throws: ``HistoryError``.
    public func since(_ since: Date) throws -> [DrainHistoryEntry] {
        try entries(
            "SELECT id, host, report FROM drains WHERE stopped_at >= ? ORDER BY id",
            [Int64(since.timeIntervalSince1970.rounded(.down))])
    }

    /// One drain; `nil` for the newest.
    /// - Throws: ``HistoryError`` `.notFound` when it is not kept.
    public func drain(id: Int64?) throws -> DrainHistoryEntry {
        let found =
            if let id {
                try entries("SELECT id, host, report FROM drains WHERE id = ?", [id])
            } else {
                try recent(limit: 1)
            }
        guard let entry = found.first else {
            let what = id.map { "no drain \($0) in the journal at \(path)" } ?? "no drain kept yet in \(path)"
            throw HistoryError(.notFound, what + " (`drainctl report --journal \(path)` lists those kept)")
        }
        return entry
    }

    private func entries(_ sql: String, _ arguments: [Int64]) throws -> [DrainHistoryEntry] {
        try rows(sql, arguments).map { row in
            do {
                var report = try JSONDecoder.drain.decode(ShutdownReport.self, from: Data(row.report.utf8))
                // Written before the ID was given: the history names it.
                report.historyID = row.id
                return DrainHistoryEntry(id: row.id, host: row.host, report: report)
            } catch {
                throw HistoryError(.corrupt, "drain \(row.id) in \(path) cannot be read", cause: error)
            }
        }
    }

    private func rows(_ sql: String, _ arguments: [Int64]) throws -> [(id: Int64, host: String?, report: String)] {
        var statement: OpaquePointer?
        guard sqlite3_prepare_v2(database, sql, -1, &statement, nil) == SQLITE_OK, let statement else {
            throw HistoryError(.unreadable, "cannot read \(path): \(String(cString: sqlite3_errmsg(database)))")
        }
        defer { sqlite3_finalize(statement) }
        for (index, argument) in arguments.enumerated() { sqlite3_bind_int64(statement, Int32(index + 1), argument) }
        var result: [(id: Int64, host: String?, report: String)] = []
        while true {
            let code = sqlite3_step(statement)
            if code == SQLITE_DONE { break }
            guard code == SQLITE_ROW else {
                throw HistoryError(.unreadable, "cannot read \(path): \(String(cString: sqlite3_errmsg(database)))")
            }
            guard sqlite3_column_count(statement) >= 3 else { continue }
            let host = sqlite3_column_text(statement, 1).map { String(cString: $0) }
            let report = sqlite3_column_text(statement, 2).map { String(cString: $0) } ?? ""
            result.append((sqlite3_column_int64(statement, 0), host, report))
        }
        return result
    }
}
