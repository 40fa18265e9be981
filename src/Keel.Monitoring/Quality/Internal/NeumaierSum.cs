namespace Keel.Monitoring.Quality.Internal;

/// <summary>
/// Compensated (Kahan–Babuška–Neumaier) summation. NumPy sums pairwise; a compensated sum is at
/// least as accurate, so both land on the exactly rounded total within a few ulps — well inside
/// the 1e-9 relative agreement the metrics promise with scikit-learn.
/// </summary>
internal struct NeumaierSum
{
    private double _sum;
    private double _compensation;

    public void Add(double value)
    {
        var total = _sum + value;
        _compensation += Math.Abs(_sum) >= Math.Abs(value)
            ? (_sum - total) + value
            : (value - total) + _sum;
        _sum = total;
    }

    public readonly double Value => _sum + _compensation;
}
