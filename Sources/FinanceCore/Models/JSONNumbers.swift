extension Double {
    /// The value as JSON can carry it: ±infinity clamped to the largest finite double, nil for NaN.
    var jsonFinite: Double? {
        if isNaN { return nil }
        return Swift.max(-Double.greatestFiniteMagnitude, Swift.min(Double.greatestFiniteMagnitude, self))
    }
}
