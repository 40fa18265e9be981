using Keel.Tabular;
using Keel.Testing;

namespace Keel.Serving.Tests.Support;

/// <summary>The shared oracle fixtures (tests/fixtures/shared/README.md), read as tables.</summary>
internal static class Fixtures
{
    public static string Path(string name) => RepositoryFiles.SharedFixture(name);

    public static Task<Table> ReadAsync(string name) => TableReader.ReadAsync(Path(name));

    /// <summary>A fresh clock at a fixed instant, so MLmodel times are known.</summary>
    public static TimeProvider Clock { get; } = new FixedClock(new DateTimeOffset(2025, 3, 4, 5, 6, 7, TimeSpan.Zero).AddTicks(1_234_567));

    private sealed class FixedClock(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
