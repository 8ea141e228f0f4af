import Testing

/// Suites whose expectations are timings (snapshot gaps, drain delays, status round trips). Tests run in
/// parallel in one process, and the 1,000-client abuse run would stretch the fan-out's gaps, so these
/// take turns: `.serialized` here covers the suites nested in it.
@Suite(.serialized)
enum TimingSensitive {}
