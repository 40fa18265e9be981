using System.Globalization;
using Keel.Core.Errors;

namespace Keel.Monitoring.Quality.Internal;

/// <summary>The shape checks every metric runs first, so each rejects bad input with the same words.</summary>
internal static class Inputs
{
    /// <summary>NumPy's float64 machine epsilon (2⁻⁵²); not <see cref="double.Epsilon"/>, the smallest subnormal.</summary>
    public const double MachineEpsilon = 2.220446049250313e-16;

    public static void RequireSameNonEmptyLength<TTrue, TPred>(
        IReadOnlyList<TTrue> yTrue, string trueName, IReadOnlyList<TPred> yPred, string predName)
    {
        ArgumentNullException.ThrowIfNull(yTrue, trueName);
        ArgumentNullException.ThrowIfNull(yPred, predName);
        if (yTrue.Count == 0)
        {
            throw KeelException.Invalid($"'{trueName}' is empty: at least one sample is needed to compute a metric.");
        }

        if (yPred.Count != yTrue.Count)
        {
            throw KeelException.Invalid(
                $"'{predName}' has {yPred.Count} values but '{trueName}' has {yTrue.Count}: they must have the same length.");
        }
    }

    public static void RequireFinite(IReadOnlyList<double> values, string name)
    {
        for (var i = 0; i < values.Count; i++)
        {
            if (!double.IsFinite(values[i]))
            {
                throw KeelException.Invalid($"'{name}' has {values[i].ToString(CultureInfo.InvariantCulture)} at index {i}: every value must be a finite number.");
            }
        }
    }
}
