extension Duration {
    /// The duration in seconds, for rates (jobs per second) computed by the benchmarks.
    public var seconds: Double {
        let (s, attos) = components
        return Double(s) + Double(attos) / 1e18
    }
}
