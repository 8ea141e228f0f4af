#ifndef DRAINCTL_CNCURSES_H
#define DRAINCTL_CNCURSES_H
// ncursesw, which `drainctl top` draws with.
//
// The types and constants come from ncurses' header (libncurses-dev at build time), but drainctl does not
// link ncurses: linking it made every command, `drainctl status` too, map libncursesw, libtinfo and the
// libstdc++ they are built beside, and relocate their symbols at start-up (BENCHMARKS.md, "drainctl
// status"). `drain_ncurses_load` opens libncursesw.so.6 when a screen first starts and fills a table of
// its functions; the `drain_...` wrappers below call through that table. Swift must call only those:
// a direct call to an ncurses function would not link.
//
// SwiftPM drops pkg-config's -D_XOPEN_SOURCE, which hides the wide API; this brings it back without
// redefining _XOPEN_SOURCE (that breaks the Glibc module).
#define NCURSES_WIDECHAR 1
#include <locale.h>
#include <ncurses.h>
#include <stddef.h>
#include <stdio.h>

// The functions `top` calls, resolved from the opened library (and libtinfo, which it depends on).
// Fields are `fn_`-prefixed: several ncurses functions are also function-like macros (getmaxx,
// wattr_set, mvwaddnwstr), which would expand inside a call through a field of the same name.
struct drain_ncurses_functions {
    __typeof__(newterm) *fn_newterm;
    __typeof__(set_term) *fn_set_term;
    __typeof__(endwin) *fn_endwin;
    __typeof__(delscreen) *fn_delscreen;
    __typeof__(cbreak) *fn_cbreak;
    __typeof__(noecho) *fn_noecho;
    __typeof__(nonl) *fn_nonl;
    __typeof__(keypad) *fn_keypad;
    __typeof__(curs_set) *fn_curs_set;
    __typeof__(set_escdelay) *fn_set_escdelay;
    __typeof__(wtimeout) *fn_wtimeout;
    __typeof__(has_colors) *fn_has_colors;
    __typeof__(start_color) *fn_start_color;
    __typeof__(use_default_colors) *fn_use_default_colors;
    __typeof__(init_pair) *fn_init_pair;
    __typeof__(getmaxx) *fn_getmaxx;
    __typeof__(getmaxy) *fn_getmaxy;
    __typeof__(werase) *fn_werase;
    __typeof__(wattr_set) *fn_wattr_set;
    __typeof__(mvwaddnwstr) *fn_mvwaddnwstr;
    __typeof__(wmove) *fn_wmove;
    __typeof__(wclrtobot) *fn_wclrtobot;
    __typeof__(wnoutrefresh) *fn_wnoutrefresh;
    __typeof__(doupdate) *fn_doupdate;
    __typeof__(wget_wch) *fn_wget_wch;
    __typeof__(tigetstr) *fn_tigetstr;
    /// The address of the library's `stdscr` variable.
    WINDOW **stdscr;
};

/// Filled by the first successful `drain_ncurses_load`; all null before.
extern struct drain_ncurses_functions drain_ncurses;

/// Opens `library` (normally "libncursesw.so.6") and resolves every entry of `drain_ncurses`.
///
/// Returns 1 on success. On failure returns 0, leaves `drain_ncurses` as it was and writes the loader's
/// message (NUL-terminated, cut to `size`) into `error`. A successful call writes `drain_ncurses`, so call
/// it once, before any wrapper (the Swift side does so from a lazily initialised global, which runs once);
/// a failing one writes only `error`.
int drain_ncurses_load(const char *library, char *error, size_t size);

static inline SCREEN *drain_newterm(const char *type, FILE *out, FILE *in) {
    return drain_ncurses.fn_newterm(type, out, in);
}
static inline SCREEN *drain_set_term(SCREEN *screen) { return drain_ncurses.fn_set_term(screen); }
static inline int drain_endwin(void) { return drain_ncurses.fn_endwin(); }
static inline void drain_delscreen(SCREEN *screen) { drain_ncurses.fn_delscreen(screen); }
static inline int drain_cbreak(void) { return drain_ncurses.fn_cbreak(); }
static inline int drain_noecho(void) { return drain_ncurses.fn_noecho(); }
static inline int drain_nonl(void) { return drain_ncurses.fn_nonl(); }
static inline int drain_keypad(WINDOW *window, bool on) { return drain_ncurses.fn_keypad(window, on); }
static inline int drain_curs_set(int visibility) { return drain_ncurses.fn_curs_set(visibility); }
static inline int drain_set_escdelay(int ms) { return drain_ncurses.fn_set_escdelay(ms); }
static inline void drain_wtimeout(WINDOW *window, int ms) { drain_ncurses.fn_wtimeout(window, ms); }
static inline bool drain_has_colors(void) { return drain_ncurses.fn_has_colors(); }
static inline int drain_start_color(void) { return drain_ncurses.fn_start_color(); }
static inline int drain_use_default_colors(void) { return drain_ncurses.fn_use_default_colors(); }
static inline int drain_init_pair(short pair, short fg, short bg) { return drain_ncurses.fn_init_pair(pair, fg, bg); }
static inline int drain_getmaxx(const WINDOW *window) { return drain_ncurses.fn_getmaxx(window); }
static inline int drain_getmaxy(const WINDOW *window) { return drain_ncurses.fn_getmaxy(window); }
static inline int drain_werase(WINDOW *window) { return drain_ncurses.fn_werase(window); }
static inline int drain_wattr_set(WINDOW *window, attr_t attributes, short pair, void *options) {
    return drain_ncurses.fn_wattr_set(window, attributes, pair, options);
}
static inline int drain_mvwaddnwstr(WINDOW *window, int y, int x, const wchar_t *text, int n) {
    return drain_ncurses.fn_mvwaddnwstr(window, y, x, text, n);
}
static inline int drain_wmove(WINDOW *window, int y, int x) { return drain_ncurses.fn_wmove(window, y, x); }
static inline int drain_wclrtobot(WINDOW *window) { return drain_ncurses.fn_wclrtobot(window); }
static inline int drain_wnoutrefresh(WINDOW *window) { return drain_ncurses.fn_wnoutrefresh(window); }
static inline int drain_doupdate(void) { return drain_ncurses.fn_doupdate(); }
static inline int drain_wget_wch(WINDOW *window, wint_t *code) { return drain_ncurses.fn_wget_wch(window, code); }
static inline char *drain_tigetstr(const char *name) { return drain_ncurses.fn_tigetstr(name); }

// Swift 6 rejects these globals and macros as they are (mutable globals, or macros that build values),
// so each is read through a function.
static inline WINDOW *drainctl_stdscr(void) { return *drain_ncurses.stdscr; }
static inline FILE *drainctl_stdout(void) { return stdout; }
static inline FILE *drainctl_stdin(void) { return stdin; }

static inline attr_t drainctl_a_normal(void) { return A_NORMAL; }
static inline attr_t drainctl_a_bold(void) { return A_BOLD; }
static inline attr_t drainctl_a_dim(void) { return A_DIM; }
static inline attr_t drainctl_a_reverse(void) { return A_REVERSE; }
static inline attr_t drainctl_a_underline(void) { return A_UNDERLINE; }
#endif
