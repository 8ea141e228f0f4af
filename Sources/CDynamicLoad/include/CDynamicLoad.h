#ifndef C_DYNAMIC_LOAD_H
#define C_DYNAMIC_LOAD_H

#include <stddef.h>

// Opening a shared library at run time and resolving its functions, with the loader's own message on
// failure: what CLibpq and CNcurses do to load libpq and ncursesw only when a command needs them.

// `library` opened RTLD_NOW | RTLD_LOCAL (its symbols stay out of the global namespace); NULL with the
// loader's message in `error` when it cannot be.
void *drain_dl_open(const char *library, char *error, size_t size);

// One symbol of `library` into `*slot`; 0 with the loader's message in `error` when it is missing.
int drain_dl_resolve(void *library, const char *name, void **slot, char *error, size_t size);

#endif
