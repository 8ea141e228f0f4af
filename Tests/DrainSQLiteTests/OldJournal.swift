import GRDB

/// A journal file as an earlier build left it: that build's migrations, by name and SQL as they shipped, so
/// that a test can prove the current build opens the file, migrates it and keeps its rows.
enum OldJournal {
    static let migrations: [(name: String, sql: String)] = [
        (
            "v1",
            """
            CREATE TABLE jobs (
                id INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL, payload BLOB NOT NULL,
                state TEXT NOT NULL CHECK (state IN ('queued', 'running', 'done', 'failed')),
                attempts INTEGER NOT NULL DEFAULT 0, enqueued_at REAL NOT NULL,
                started_at REAL, finished_at REAL, last_error TEXT
            );
            CREATE INDEX jobs_by_state ON jobs (state, id);
            """
        ),
        (
            "v2",
            """
            CREATE TABLE cut_runs (
                id INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL, seconds REAL NOT NULL,
                cut_at REAL NOT NULL
            );
            """
        ),
    ]

    /// Writes a journal at `path` as the build that had the first `count` migrations left it, with `rows`
    /// (SQL inserts) in it.
    static func write(at path: String, migrations count: Int, rows: String) throws {
        let old = try DatabaseQueue(path: path)
        var migrator = DatabaseMigrator()
        for migration in migrations.prefix(count) {
            migrator.registerMigration(migration.name) { db in try db.execute(sql: migration.sql) }
        }
        try migrator.migrate(old)
        try old.write { db in try db.execute(sql: rows) }
        try old.close()
    }
}
