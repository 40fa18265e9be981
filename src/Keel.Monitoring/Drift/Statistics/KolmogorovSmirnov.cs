namespace Keel.Monitoring.Drift.Statistics;

/// <summary>
/// The two-sample Kolmogorov–Smirnov test as scipy.stats.ks_2samp computes it (two-sided, method
/// 'auto'): the exact distribution of the statistic when both samples hold at most 10,000 values
/// and n·m/gcd fits in 32 bits, else the asymptotic one — scipy's <c>kstwo.sf(D, round(nm / (n + m)))</c>.
/// </summary>
internal static class KolmogorovSmirnov
{
    public const int MaxExactSize = 10_000;

    /// <summary>The statistic D = sup |F₁ − F₂| of two sorted samples.</summary>
    public static double Statistic(ReadOnlySpan<double> first, ReadOnlySpan<double> second)
    {
        long n1 = first.Length, n2 = second.Length;
        int i = 0, j = 0;
        long largest = 0;
        while (i < first.Length && j < second.Length)
        {
            var x = Math.Min(first[i], second[j]);
            while (i < first.Length && first[i] <= x)
            {
                i++;
            }

            while (j < second.Length && second[j] <= x)
            {
                j++;
            }

            // |i/n1 − j/n2| scaled by n1·n2 stays an integer, so the largest one is found exactly.
            largest = Math.Max(largest, Math.Abs((i * n2) - (j * n1)));
        }

        return (double)largest / n1 / n2;
    }

    /// <summary>
    /// D between a reference known by its quantiles at equal steps (its CDF linear in between) and a
    /// sorted current sample: both sides' limits are compared at every value where either CDF jumps
    /// or bends. Against the reference's own sample it is off by at most one grid step 1 / (points − 1)
    /// plus 1 / n.
    /// </summary>
    public static double FromGrid(double[] grid, ReadOnlySpan<double> current)
    {
        double m = current.Length, step = 1.0 / (grid.Length - 1), largest = 0;
        int c = 0, k = 0;
        while (c < current.Length || k < grid.Length)
        {
            var x = k >= grid.Length || (c < current.Length && current[c] <= grid[k]) ? current[c] : grid[k];

            // The grid's CDF just below x: k points lie below it, the next one at or above it.
            var below = c / m;
            while (k < grid.Length && grid[k] < x)
            {
                k++;
            }

            var referenceBelow = k == 0 ? 0 : k == grid.Length ? 1 : (k * step) - ((grid[k] - x) / (grid[k] - grid[k - 1]) * step);
            while (c < current.Length && current[c] <= x)
            {
                c++;
            }

            while (k < grid.Length && grid[k] <= x)
            {
                k++;
            }

            // At x: k points lie at or below it, the next one above it.
            var reference = k == 0 ? 0 : k == grid.Length ? 1 : ((k - 1) * step) + ((x - grid[k - 1]) / (grid[k] - grid[k - 1]) * step);
            largest = Math.Max(largest, Math.Max(Math.Abs(referenceBelow - below), Math.Abs(reference - (c / m))));
        }

        return largest;
    }

    /// <summary>The two-sided p-value of D for samples of n₁ and n₂ values, and which method gave it.</summary>
    public static (double PValue, string Method) PValue(long n1, long n2, double d)
    {
        if (Math.Max(n1, n2) <= MaxExactSize)
        {
            var g = Gcd(n1, n2);
            if (n1 / g < int.MaxValue / (n2 / g))
            {
                // As scipy: D is rounded to the lattice of multiples of 1 / lcm(n₁, n₂).
                var h = (long)Math.Round(d * (n1 / g) * n2, MidpointRounding.ToEven);
                var exact = Exact(n1, n2, g, h);
                if (exact is >= 0 and <= 1)
                {
                    return (exact, "exact");
                }
            }
        }

        return (Math.Clamp(Asymptotic(n1, n2, d), 0, 1), "asymp");
    }

    /// <summary>P(D ≥ h / lcm(n₁, n₂)) under the null hypothesis, counting lattice paths.</summary>
    internal static double Exact(long n1, long n2, long g, long h)
    {
        if (h == 0)
        {
            return 1;
        }

        return n1 == n2 ? OutsideSquare(n1, h) : 1 - InsideProbability(Math.Max(n1, n2), Math.Min(n1, n2), g, h);
    }

    /// <summary>
    /// Equal sizes: P(D ≥ h/n) = 2 Σ_{k≥1} (−1)^{k+1} C(2n, n − kh) / C(2n, n), evaluated from the
    /// innermost term outwards so that the alternating sum does not cancel.
    /// </summary>
    private static double OutsideSquare(long n, long h)
    {
        var total = 0.0;
        for (var k = n / h; k >= 0; k--)
        {
            // Term k + 1 over term k: C(2n, n − (k+1)h) / C(2n, n − kh), a product of h factors.
            var ratio = 1.0;
            for (var j = 0; j < h; j++)
            {
                ratio = (n - (k * h) - j) * ratio / (n + (k * h) + j + 1);
            }

            total = ratio * (1 - total);
        }

        return 2 * total;
    }

    /// <summary>
    /// The probability that a uniformly random monotone lattice path from (0, 0) to (m, n) keeps
    /// |i·n/g − j·m/g| &lt; h: a dynamic programme over columns whose cells hold the share of the
    /// paths reaching them that stayed inside, so values stay in [0, 1] (no overflow).
    /// </summary>
    private static double InsideProbability(long m, long n, long g, long h)
    {
        long mg = m / g, ng = n / g;
        var cells = new double[n + 1];
        bool Inside(long i, long j) => Math.Abs((i * ng) - (j * mg)) < h;

        for (var j = 0L; j <= n && Inside(0, j); j++)
        {
            cells[j] = 1;
        }

        long low = 0;
        for (long i = 1; i <= m; i++)
        {
            // Cells with |i·ng − j·mg| < h: j in ((i·ng − h) / mg, (i·ng + h) / mg).
            var newLow = Math.Max(0, FloorDiv((i * ng) - h, mg) + 1);
            var high = Math.Min(n, CeilDiv((i * ng) + h, mg) - 1);
            if (high < newLow)
            {
                return 0;
            }

            for (var j = low; j < newLow && j <= n; j++)
            {
                cells[j] = 0;
            }

            low = newLow;
            for (var j = low; j <= high; j++)
            {
                var fromLeft = cells[j];
                var fromBelow = j > 0 ? cells[j - 1] : 0;
                cells[j] = ((fromLeft * i) + (fromBelow * j)) / (i + j);
            }

            if (high + 1 <= n)
            {
                cells[high + 1] = 0;
            }
        }

        return cells[n];
    }

    /// <summary>scipy's <c>kstwo.sf(d, round(n₁n₂ / (n₁ + n₂)))</c>: the one-sample two-sided Kolmogorov distribution.</summary>
    internal static double Asymptotic(long n1, long n2, double d)
    {
        var n = (long)Math.Round((double)n1 * n2 / (n1 + n2), MidpointRounding.ToEven);
        return KolmogorovSurvival(Math.Max(1, n), d);
    }

    /// <summary>
    /// P(Dₙ ≥ x) after Simard and L'Ecuyer (2011): the exact Ruben–Gambino ends, 2·Smirnov where the
    /// one-sided tails do not overlap (x ≥ 0.5, or n·x² ≥ 2.2 in the far tail), and the Pelz–Good
    /// series elsewhere (where scipy uses Durbin's matrix for n·x^1.5 ≤ 1.4 or n ≤ 140, p-values
    /// near 1, Pelz–Good agrees to about 1e-5).
    /// </summary>
    internal static double KolmogorovSurvival(long n, double x)
    {
        if (x >= 1)
        {
            return 0;
        }

        if (x <= 0)
        {
            return 1;
        }

        var t = n * x;
        if (t <= 1)
        {
            if (t <= 0.5)
            {
                return 1;
            }

            var cdf = Math.Exp(SpecialFunctions.LogGamma(n + 1) - (n * Math.Log(n)) + (n * Math.Log((2 * t) - 1)));
            return Math.Clamp(1 - cdf, 0, 1);
        }

        if (t >= n - 1)
        {
            return Math.Clamp(2 * Math.Pow(1 - x, n), 0, 1);
        }

        var nxSquared = t * x;
        if (x >= 0.5 || nxSquared >= 2.2)
        {
            return nxSquared >= 370 ? 0 : Math.Clamp(2 * Smirnov(n, x), 0, 1);
        }

        return nxSquared >= 18 ? 0 : Math.Clamp(1 - PelzGood(n, x), 0, 1);
    }

    /// <summary>
    /// P(Dₙ⁺ ≥ x), exactly, by the Birnbaum–Tingey sum x Σⱼ C(n, j) (1 − x − j/n)^{n−j} (x + j/n)^{j−1},
    /// j = 0 … ⌊n(1 − x)⌋, added in log space from the largest term.
    /// </summary>
    internal static double Smirnov(long n, double x)
    {
        var last = (long)Math.Floor(n * (1 - x));
        var logBinomial = 0.0;
        double largest = double.NegativeInfinity, sum = 0;
        for (long j = 0; j <= last; j++)
        {
            if (j > 0)
            {
                logBinomial += Math.Log((double)(n - j + 1) / j);
            }

            var rest = 1 - x - ((double)j / n);
            if (rest <= 0)
            {
                continue;
            }

            var term = logBinomial + ((n - j) * Math.Log(rest)) + ((j - 1) * Math.Log(x + ((double)j / n)));
            if (term > largest)
            {
                sum = (sum * Math.Exp(largest - term)) + 1;
                largest = term;
            }
            else
            {
                sum += Math.Exp(term - largest);

                // The terms rise to one peak and fall: past it, once they are e^-40 of the peak
                // the rest cannot move the sum by one part in 10^15.
                if (term < largest - 40 && j > 16)
                {
                    break;
                }
            }
        }

        return x * Math.Exp(largest) * sum;
    }

    /// <summary>The Pelz–Good (1976) asymptotic series for P(Dₙ ≤ x), with z = x√n, in its small-z (Jacobi theta) form.</summary>
    internal static double PelzGood(long n, double x)
    {
        const double piSquared = Math.PI * Math.PI;
        const double piFour = piSquared * piSquared;
        const double piSix = piFour * piSquared;
        var sqrtTwoPi = Math.Sqrt(2 * Math.PI);
        var z = Math.Sqrt(n) * x;
        double z2 = z * z, z3 = z2 * z, z4 = z2 * z2, z6 = z4 * z2;
        var logQ = -piSquared / 8 / z2;
        if (logQ < -708)
        {
            return 0;
        }

        var q = Math.Exp(logQ);

        // K0…K3 as sums over odd m = 2k − 1 of polynomials in m² times q^{m²}.
        double k1a = -z2, k1b = piSquared / 4;
        double k2a = (6 * z6) + (2 * z4), k2b = ((2 * z4) - (5 * z2)) * piSquared / 4, k2c = piFour * (1 - (2 * z2)) / 16;
        double k3a = (-30 * z6) - (90 * z4 * z4), k3b = piSquared * ((135 * z4) - (96 * z6)) / 4;
        double k3c = piFour * ((-60 * z2) + (212 * z4)) / 16, k3d = piSix * (5 - (30 * z2)) / 64;
        double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        var terms = (int)Math.Ceiling(16 * z / Math.PI);
        for (var k = terms; k >= 1; k--)
        {
            double m = (2 * k) - 1, m2 = m * m, m4 = m2 * m2, m6 = m4 * m2;
            var power = Math.Pow(q, 8 * k);
            s0 = (s0 * power) + 1;
            s1 = (s1 * power) + k1a + (k1b * m2);
            s2 = (s2 * power) + k2a + (k2b * m2) + (k2c * m4);
            s3 = (s3 * power) + k3a + (k3b * m2) + (k3c * m4) + (k3d * m6);
        }

        var scale = q * sqrtTwoPi;
        s0 *= scale / z;
        s1 *= scale / (6 * z4);
        s2 *= scale / (72 * z4 * z3);
        s3 *= scale / (6480 * z6 * z4);

        // The sums over all integers k of K2's and K3's extra terms.
        var q2 = Math.Exp(-piSquared / 2 / z2);
        double extra2 = 0, extra3 = 0;
        var sqrt3z = Math.Sqrt(3) * z;
        for (var k = terms; k >= 1; k--)
        {
            double k2 = (double)k * k, kpi = Math.PI * k;
            var power = Math.Pow(q2, k2);
            extra2 += k2 * power;
            extra3 += (sqrt3z + kpi) * (sqrt3z - kpi) * k2 * power;
        }

        s2 += extra2 * piSquared * sqrtTwoPi / (-36 * z3);
        s3 += extra3 * piSquared * sqrtTwoPi / (216 * z6);
        var sqrtN = Math.Sqrt(n);
        return s0 + (s1 / sqrtN) + (s2 / n) + (s3 / (n * sqrtN));
    }

    private static long Gcd(long a, long b)
    {
        while (b != 0)
        {
            (a, b) = (b, a % b);
        }

        return a;
    }

    private static long FloorDiv(long a, long b) => a >= 0 ? a / b : -((-a + b - 1) / b);

    private static long CeilDiv(long a, long b) => a >= 0 ? (a + b - 1) / b : -(-a / b);
}
