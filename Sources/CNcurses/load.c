#include "CNcurses.h"

#include "CDynamicLoad.h"

#include <dlfcn.h>

struct drain_ncurses_functions drain_ncurses;

int drain_ncurses_load(const char *library, char *error, size_t size) {
    // RTLD_LOCAL: ncurses' symbols stay out of the global namespace; dlsym on the handle still finds
    // those of libtinfo (cbreak, curs_set, tigetstr, stdscr), which the handle brought in.
    void *handle = drain_dl_open(library, error, size);
    if (handle == NULL) return 0;
    // Resolved into a copy first, so a library missing one function leaves no half-filled table behind.
    struct drain_ncurses_functions table;
#define DRAIN_RESOLVE(name)                                                                                 \
    if (!drain_dl_resolve(handle, #name, (void **)&table.fn_##name, error, size)) {                     \
        dlclose(handle);                                                                                    \
        return 0;                                                                                           \
    }
    DRAIN_RESOLVE(newterm)
    DRAIN_RESOLVE(set_term)
    DRAIN_RESOLVE(endwin)
    DRAIN_RESOLVE(delscreen)
    DRAIN_RESOLVE(cbreak)
    DRAIN_RESOLVE(noecho)
    DRAIN_RESOLVE(nonl)
    DRAIN_RESOLVE(keypad)
    DRAIN_RESOLVE(curs_set)
    DRAIN_RESOLVE(set_escdelay)
    DRAIN_RESOLVE(wtimeout)
    DRAIN_RESOLVE(has_colors)
    DRAIN_RESOLVE(start_color)
    DRAIN_RESOLVE(use_default_colors)
    DRAIN_RESOLVE(init_pair)
    DRAIN_RESOLVE(getmaxx)
    DRAIN_RESOLVE(getmaxy)
    DRAIN_RESOLVE(werase)
    DRAIN_RESOLVE(wattr_set)
    DRAIN_RESOLVE(mvwaddnwstr)
    DRAIN_RESOLVE(wmove)
    DRAIN_RESOLVE(wclrtobot)
    DRAIN_RESOLVE(wnoutrefresh)
    DRAIN_RESOLVE(doupdate)
    DRAIN_RESOLVE(wget_wch)
    DRAIN_RESOLVE(tigetstr)
#undef DRAIN_RESOLVE
    if (!drain_dl_resolve(handle, "stdscr", (void **)&table.stdscr, error, size)) {
        dlclose(handle);
        return 0;
    }
    // The handle stays open for the life of the process: the table points into it.
    drain_ncurses = table;
    return 1;
}
