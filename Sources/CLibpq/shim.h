#ifndef DRAINCTL_CLIBPQ_SHIM_H
#define DRAINCTL_CLIBPQ_SHIM_H
// libpq, PostgreSQL's own C client: the fleet view reads the shared journal's tables with it, so the
// operator's side links no SwiftNIO (postgres-nio is built on it).
#include <libpq-fe.h>
#endif
