#include "CLibpq.h"

#include "CDynamicLoad.h"

#include <dlfcn.h>

struct drain_libpq_functions drain_libpq;

int drain_libpq_load(const char *library, char *error, size_t size) {
    // RTLD_LOCAL: libpq's symbols (and OpenSSL's, which it pulls in) stay out of the global namespace.
    void *handle = drain_dl_open(library, error, size);
    if (handle == NULL) return 0;
    // Resolved into a copy first, so a library missing one function leaves no half-filled table behind.
    struct drain_libpq_functions table;
#define DRAIN_RESOLVE(name)                                                                                 \
    if (!drain_dl_resolve(handle, #name, (void **)&table.name, error, size)) {                          \
        dlclose(handle);                                                                                    \
        return 0;                                                                                           \
    }
    DRAIN_RESOLVE(PQconnectdb)
    DRAIN_RESOLVE(PQstatus)
    DRAIN_RESOLVE(PQerrorMessage)
    DRAIN_RESOLVE(PQfinish)
    DRAIN_RESOLVE(PQreset)
    DRAIN_RESOLVE(PQexecParams)
    DRAIN_RESOLVE(PQsendQuery)
    DRAIN_RESOLVE(PQgetResult)
    DRAIN_RESOLVE(PQresultStatus)
    DRAIN_RESOLVE(PQresultErrorMessage)
    DRAIN_RESOLVE(PQntuples)
    DRAIN_RESOLVE(PQnfields)
    DRAIN_RESOLVE(PQgetvalue)
    DRAIN_RESOLVE(PQgetisnull)
    DRAIN_RESOLVE(PQclear)
#undef DRAIN_RESOLVE
    // The handle stays open for the life of the process: the table points into it.
    drain_libpq = table;
    return 1;
}
