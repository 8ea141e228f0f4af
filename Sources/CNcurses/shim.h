#ifndef DRAINCTL_CNCURSES_SHIM_H
#define DRAINCTL_CNCURSES_SHIM_H
// SwiftPM drops pkg-config's -D_XOPEN_SOURCE, which hides the wide API; this brings it back without
// redefining _XOPEN_SOURCE (that breaks the Glibc module).
#define NCURSES_WIDECHAR 1
#include <locale.h>
#include <ncurses.h>
#include <stdio.h>

// Swift 6 rejects these globals and macros as they are (mutable globals, or macros that build values),
// so each is read through a function.
static inline WINDOW *drainctl_stdscr(void) { return stdscr; }
static inline FILE *drainctl_stdout(void) { return stdout; }
static inline FILE *drainctl_stdin(void) { return stdin; }
static inline int drainctl_colors(void) { return COLORS; }
static inline int drainctl_color_pairs(void) { return COLOR_PAIRS; }

static inline attr_t drainctl_a_normal(void) { return A_NORMAL; }
static inline attr_t drainctl_a_bold(void) { return A_BOLD; }
static inline attr_t drainctl_a_dim(void) { return A_DIM; }
static inline attr_t drainctl_a_reverse(void) { return A_REVERSE; }
static inline attr_t drainctl_a_underline(void) { return A_UNDERLINE; }
#endif
