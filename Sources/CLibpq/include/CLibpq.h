#ifndef DRAINCTL_CLIBPQ_H
#define DRAINCTL_CLIBPQ_H
// libpq, PostgreSQL's own C client: the fleet view reads the shared journal's tables with it, so the
// operator's side links no SwiftNIO (postgres-nio is built on it).
//
// The types and constants come from libpq's header (libpq-dev at build time), but drainctl does not link
// libpq: linking it made every command, `drainctl status` too, map libpq and its ~22 libraries (OpenSSL,
// GSSAPI, LDAP, ...) at start-up. `drain_libpq_load` opens libpq.so.5 when a fleet command first needs it
// and fills a table of its functions; the `drain_PQ...` wrappers below call through that table.
#include <postgresql/libpq-fe.h>
#include <stddef.h>

/// The libpq functions the fleet reader calls, resolved from the opened library.
struct drain_libpq_functions {
    __typeof__(PQconnectdb) *PQconnectdb;
    __typeof__(PQstatus) *PQstatus;
    __typeof__(PQerrorMessage) *PQerrorMessage;
    __typeof__(PQfinish) *PQfinish;
    __typeof__(PQreset) *PQreset;
    __typeof__(PQexecParams) *PQexecParams;
    __typeof__(PQsendQuery) *PQsendQuery;
    __typeof__(PQgetResult) *PQgetResult;
    __typeof__(PQresultStatus) *PQresultStatus;
    __typeof__(PQresultErrorMessage) *PQresultErrorMessage;
    __typeof__(PQntuples) *PQntuples;
    __typeof__(PQnfields) *PQnfields;
    __typeof__(PQgetvalue) *PQgetvalue;
    __typeof__(PQgetisnull) *PQgetisnull;
    __typeof__(PQclear) *PQclear;
};

/// Filled by the first successful `drain_libpq_load`; all null before.
extern struct drain_libpq_functions drain_libpq;

/// Opens `library` (normally "libpq.so.5") and resolves every function of `drain_libpq`.
///
/// Returns 1 on success. On failure returns 0, leaves `drain_libpq` as it was and writes the loader's
/// message (NUL-terminated, cut to `size`) into `error`. A successful call writes `drain_libpq`, so call it
/// once, before any wrapper (the Swift side does so from a lazily initialised global, which runs once); a
/// failing one writes only `error`.
int drain_libpq_load(const char *library, char *error, size_t size);

static inline PGconn *drain_PQconnectdb(const char *conninfo) { return drain_libpq.PQconnectdb(conninfo); }
static inline ConnStatusType drain_PQstatus(const PGconn *conn) { return drain_libpq.PQstatus(conn); }
static inline char *drain_PQerrorMessage(const PGconn *conn) { return drain_libpq.PQerrorMessage(conn); }
static inline void drain_PQfinish(PGconn *conn) { drain_libpq.PQfinish(conn); }
static inline void drain_PQreset(PGconn *conn) { drain_libpq.PQreset(conn); }
static inline PGresult *drain_PQexecParams(
    PGconn *conn, const char *command, int nParams, const Oid *paramTypes, const char *const *paramValues,
    const int *paramLengths, const int *paramFormats, int resultFormat) {
    return drain_libpq.PQexecParams(
        conn, command, nParams, paramTypes, paramValues, paramLengths, paramFormats, resultFormat);
}
static inline int drain_PQsendQuery(PGconn *conn, const char *query) { return drain_libpq.PQsendQuery(conn, query); }
static inline PGresult *drain_PQgetResult(PGconn *conn) { return drain_libpq.PQgetResult(conn); }
static inline ExecStatusType drain_PQresultStatus(const PGresult *res) { return drain_libpq.PQresultStatus(res); }
static inline char *drain_PQresultErrorMessage(const PGresult *res) {
    return drain_libpq.PQresultErrorMessage(res);
}
static inline int drain_PQntuples(const PGresult *res) { return drain_libpq.PQntuples(res); }
static inline int drain_PQnfields(const PGresult *res) { return drain_libpq.PQnfields(res); }
static inline char *drain_PQgetvalue(const PGresult *res, int row, int field) {
    return drain_libpq.PQgetvalue(res, row, field);
}
static inline int drain_PQgetisnull(const PGresult *res, int row, int field) {
    return drain_libpq.PQgetisnull(res, row, field);
}
static inline void drain_PQclear(PGresult *res) { drain_libpq.PQclear(res); }

#endif
