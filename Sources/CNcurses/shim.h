#ifndef DRAINCTL_CNCURSES_SHIM_H
#define DRAINCTL_CNCURSES_SHIM_H
// SwiftPM drops pkg-config's -D_XOPEN_SOURCE, which hides the wide API; this brings it back without
// redefining _XOPEN_SOURCE (that breaks the Glibc module).
#define NCURSES_WIDECHAR 1
#include <locale.h>
#include <ncurses.h>
#include <stdio.h>
#endif
