#include "CDynamicLoad.h"

#include <dlfcn.h>
#include <stdio.h>

void *drain_dl_open(const char *library, char *error, size_t size) {
    void *handle = dlopen(library, RTLD_NOW | RTLD_LOCAL);
    if (handle == NULL) {
        const char *why = dlerror();
        snprintf(error, size, "%s", why != NULL ? why : library);
    }
    return handle;
}

int drain_dl_resolve(void *library, const char *name, void **slot, char *error, size_t size) {
    dlerror();
    void *symbol = dlsym(library, name);
    if (symbol == NULL) {
        const char *why = dlerror();
        snprintf(error, size, "%s", why != NULL ? why : name);
        return 0;
    }
    *slot = symbol;
    return 1;
}
