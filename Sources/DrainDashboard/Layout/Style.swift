/// What a run of text means on screen; the renderer decides how that looks.
///
/// The layout speaks in meanings, not colours, so `NO_COLOR` and monochrome terminals only change the
/// renderer's mapping, never the layout or its tests.
package enum Style: Sendable, Hashable, CaseIterable {
    case plain
    case bold
    case dim
    /// A section title.
    case heading
    /// Healthy: running, a clean stop, plenty of time left.
    case ok
    /// Needs attention: draining, time running low.
    case warning
    /// Something is lost or late: forcing, past the deadline, a lost connection.
    case danger
    /// Neutral emphasis: lame duck, keys in the footer.
    case info
    /// The header bar.
    case inverse
    /// A banner announcing a good end.
    case okBanner
    /// A banner announcing a bad end.
    case dangerBanner
}
