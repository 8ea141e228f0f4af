#ifndef DRAIN_SQLITE_H
#define DRAIN_SQLITE_H

#include <sqlite3.h>

/// Tells SQLite not to checkpoint the WAL when the connection closes.
///
/// The checkpoint costs two fsyncs on the way out of a stopping process, and buys nothing: the WAL is
/// already durable and the next open recovers it. sqlite3_db_config is variadic, so Swift cannot call it.
/// Returns an SQLite result code.
int drain_sqlite_skip_checkpoint_on_close(sqlite3 *db);

#endif
