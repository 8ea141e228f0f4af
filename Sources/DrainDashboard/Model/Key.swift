/// A key press, decoded from curses so the state machine never sees curses codes.
package enum Key: Sendable, Hashable {
    case character(Character)
    case up
    case down
    case pageUp
    case pageDown
    case home
    case end
    case enter
    case escape
    case backspace
    case tab
}
