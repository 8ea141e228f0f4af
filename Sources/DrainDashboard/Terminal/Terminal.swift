import CNcurses

#if canImport(Glibc)
    import Glibc
#endif

/// The curses screen: paints ``ScreenLine``s, reads keys, and gives the terminal back as it was.
///
/// - Important: ncurses is not thread-safe. This type is deliberately not `Sendable`: create it, use it
///   and drop it on one thread.
final class Terminal {
    /// What one wait for input produced.
    enum Input: Equatable {
        case key(Key)
        /// The terminal changed size; the next frame is laid out for the new size.
        case resize
        /// Nothing within the timeout (or a signal cut the wait short).
        case none
    }

    private let screen: OpaquePointer
    private let window: UnsafeMutablePointer<WINDOW>
    private let colors: Bool
    private let setsTitle: Bool
    /// False when the locale's character set is not UTF-8 (`LANG=C`): lines are drawn in ASCII.
    let unicode: Bool
    private var title = ""
    private var ended = false
    private var wide: [wchar_t] = []
    /// The rows on the screen now, and the size they were drawn for.
    private var painted: [ScreenLine] = []
    private var paintedSize: ScreenSize?

    /// Starts curses on stdin/stdout.
    /// - Parameters:
    ///   - useColor: False for `NO_COLOR`: styles become bold, underline and reverse only.
    ///   - inputTimeout: How long ``read()`` waits for a key, in milliseconds: the frame interval.
    /// - Throws: ``DashboardError`` `ncursesMissing` when libncursesw.so.6 cannot be loaded,
    ///   `terminalUnavailable` when `TERM` names no usable terminal.
    init(useColor: Bool, inputTimeout: Int32, environment: [String: String]) throws {
        try NcursesLibrary.require()
        setlocale(LC_ALL, "")
        // newterm, unlike initscr, returns NULL on a bad TERM instead of exiting, so we can explain.
        guard let screen = drain_newterm(nil, drainctl_stdout(), drainctl_stdin()) else {
            throw DashboardError(
                .terminalUnavailable,
                "cannot drive this terminal (TERM=\(environment["TERM"] ?? "unset")); use `drainctl status` or `drainctl events` instead"
            )
        }
        self.screen = screen
        drain_set_term(screen)
        // A terminal that cannot move the cursor (TERM=dumb) gets a screen that stays blank forever:
        // refuse it as clearly as an unknown TERM, before taking it over.
        guard Self.canAddressCursor() else {
            drain_endwin()
            drain_delscreen(screen)
            throw DashboardError(
                .terminalUnavailable,
                "TERM=\(environment["TERM"] ?? "unset") cannot move the cursor, so top cannot draw its screen; "
                    + "use `drainctl status --all` or `drainctl events` instead, "
                    + "or run top in a terminal such as xterm-256color"
            )
        }
        unicode = Self.localeIsUTF8()
        window = drainctl_stdscr()
        CrashGuard.cursesActive.store(true, ordering: .sequentiallyConsistent)
        drain_cbreak()
        drain_noecho()
        drain_nonl()
        drain_keypad(window, true)
        drain_curs_set(0)
        drain_set_escdelay(25)
        drain_wtimeout(window, inputTimeout)
        colors = useColor && drain_has_colors() && drain_start_color() == OK
        if colors {
            drain_use_default_colors()
            drain_init_pair(1, Int16(COLOR_GREEN), -1)
            drain_init_pair(2, Int16(COLOR_YELLOW), -1)
            drain_init_pair(3, Int16(COLOR_RED), -1)
            drain_init_pair(4, Int16(COLOR_CYAN), -1)
            drain_init_pair(5, Int16(COLOR_BLACK), Int16(COLOR_GREEN))
            drain_init_pair(6, Int16(COLOR_WHITE), Int16(COLOR_RED))
        }
        let term = environment["TERM"] ?? ""
        setsTitle = !(term.isEmpty || term == "dumb" || term == "linux")
        // Save the title on the terminal's stack (xterm); restored in end().
        if setsTitle { writeRaw("\u{1B}[22;2t") }
    }

    deinit { end() }

    /// The size now; after a resize curses already reports the new one.
    var size: ScreenSize { ScreenSize(columns: Int(drain_getmaxx(window)), rows: Int(drain_getmaxy(window))) }

    /// Draws `lines` and updates the terminal with only what changed since the last frame.
    ///
    /// Rows equal to the ones drawn last time are not handed to curses again: at 10 frames per second
    /// most rows (the header, the counters between snapshots, the event log) do not change, and
    /// converting them to wide characters was most of the cost of a frame. Every row is exactly as wide
    /// as the screen, so a changed row overwrites all of its old cells without clearing.
    func paint(_ lines: [ScreenLine]) {
        let size = self.size
        if size != paintedSize {
            // A new size (or the first frame): curses has resized stdscr, start from a blank one.
            drain_werase(window)
            painted = []
            paintedSize = size
        }
        for (row, line) in lines.enumerated() where row >= painted.count || painted[row] != line {
            var column: Int32 = 0
            for (text, style) in (unicode ? line : AsciiFallback.line(line)).runs() {
                let (attributes, pair) = look(style)
                drain_wattr_set(window, attributes, pair, nil)
                wide.removeAll(keepingCapacity: true)
                for scalar in text.unicodeScalars { wide.append(wchar_t(bitPattern: scalar.value)) }
                // Writing the bottom-right cell returns ERR but draws it; the result does not matter.
                _ = drain_mvwaddnwstr(window, Int32(row), column, wide, Int32(wide.count))
                column += Int32(text.count)
            }
        }
        if lines.count < painted.count {
            drain_wattr_set(window, drainctl_a_normal(), 0, nil)
            drain_wmove(window, Int32(lines.count), 0)
            drain_wclrtobot(window)
        }
        painted = lines
        drain_wattr_set(window, drainctl_a_normal(), 0, nil)
        drain_wnoutrefresh(window)
        drain_doupdate()
    }

    /// Sets the terminal's title when it changed.
    func setTitle(_ newTitle: String) {
        guard setsTitle, newTitle != title else { return }
        title = newTitle
        let printable = String(newTitle.unicodeScalars.filter { $0.value >= 0x20 && $0.value != 0x7F })
        let clean = unicode ? printable : AsciiFallback.text(printable)
        writeRaw("\u{1B}]2;\(clean)\u{07}")
    }

    /// Waits up to the input timeout for a key.
    func read() -> Input {
        var code: wint_t = 0
        switch drain_wget_wch(window, &code) {
        case KEY_CODE_YES:
            switch Int32(code) {
            case KEY_RESIZE: return .resize
            case KEY_UP: return .key(.up)
            case KEY_DOWN: return .key(.down)
            case KEY_PPAGE: return .key(.pageUp)
            case KEY_NPAGE: return .key(.pageDown)
            case KEY_HOME: return .key(.home)
            case KEY_END: return .key(.end)
            case KEY_ENTER: return .key(.enter)
            case KEY_BACKSPACE, KEY_DC: return .key(.backspace)
            case KEY_BTAB: return .key(.tab)
            default: return .none
            }
        case OK:
            switch code {
            case 9: return .key(.tab)
            case 10, 13: return .key(.enter)
            case 27: return .key(.escape)
            case 8, 127: return .key(.backspace)
            default:
                guard let scalar = Unicode.Scalar(UInt32(code)), code >= 32 else { return .none }
                return .key(.character(Character(scalar)))
            }
        default:
            return .none
        }
    }

    /// Leaves curses: the alternate screen goes, echo and the cursor come back. Safe to call twice.
    func end() {
        guard !ended else { return }
        ended = true
        if CrashGuard.cursesActive.exchange(false, ordering: .sequentiallyConsistent) {
            drain_endwin()
        }
        drain_delscreen(screen)
        if setsTitle { writeRaw("\u{1B}]2;drainctl\u{07}\u{1B}[23;2t") }
    }

    /// Whether the terminal curses started on has cursor addressing (`cup`); `dumb` has none.
    private static func canAddressCursor() -> Bool {
        guard let cup = drain_tigetstr("cup") else { return false }
        // tigetstr answers (char *)-1 for a name that is not a string capability.
        return Int(bitPattern: cup) != -1 && cup.pointee != 0
    }

    /// Whether the locale chosen by `setlocale(LC_ALL, "")` encodes text as UTF-8.
    static func localeIsUTF8() -> Bool {
        guard let codeset = nl_langinfo(nl_item(CODESET)) else { return false }
        let name = String(cString: codeset).uppercased()
        return name == "UTF-8" || name == "UTF8"
    }

    private func look(_ style: Style) -> (attr_t, Int16) {
        let bold = drainctl_a_bold()
        let reverse = drainctl_a_reverse()
        switch style {
        case .plain: return (drainctl_a_normal(), 0)
        case .bold, .heading: return (bold, 0)
        case .dim: return (drainctl_a_dim(), 0)
        case .inverse: return (reverse, 0)
        case .ok: return colors ? (bold, 1) : (bold, 0)
        case .warning: return colors ? (bold, 2) : (bold, 0)
        case .danger: return colors ? (bold, 3) : (bold | drainctl_a_underline(), 0)
        case .info: return colors ? (drainctl_a_normal(), 4) : (drainctl_a_normal(), 0)
        case .okBanner: return colors ? (bold, 5) : (bold | reverse, 0)
        case .dangerBanner: return colors ? (bold, 6) : (bold | reverse, 0)
        }
    }

    /// Bytes curses does not know about (the title), written after curses flushed its own output.
    private func writeRaw(_ text: String) {
        var text = text
        text.withUTF8 { bytes in _ = write(STDOUT_FILENO, bytes.baseAddress, bytes.count) }
    }
}
