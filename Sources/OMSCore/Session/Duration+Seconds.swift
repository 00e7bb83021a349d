extension Duration {
    /// The duration in (fractional) seconds: for back-off maths, metrics and display.
    public var seconds: Double {
        let (s, atto) = components
        return Double(s) + Double(atto) / 1e18
    }
}
