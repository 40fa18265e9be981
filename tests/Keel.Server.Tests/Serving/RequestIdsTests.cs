using Keel.Server.Serving;

namespace Keel.Server.Tests.Serving;

/// <summary>The ids the server gives to requests without one: UUIDv7 text that sorts by time and does not repeat.</summary>
public sealed class RequestIdsTests
{
    [Fact]
    public void An_id_is_a_version_7_uuid_carrying_its_millisecond()
    {
        var time = DateTimeOffset.Parse("2026-12-06T07:00:00.123Z", System.Globalization.CultureInfo.InvariantCulture).ToUnixTimeMilliseconds();

        var id = RequestIds.Next(time);

        Assert.Matches("^[0-9a-f]{32}$", id);
        var guid = Guid.ParseExact(id, "N");
        Assert.Equal(7, guid.Version);
        Assert.Equal(0b10, guid.Variant >> 2);
        Assert.Equal(time, Convert.ToInt64(id[..12], 16));
    }

    [Fact]
    public void Ids_sort_by_time_and_never_repeat()
    {
        var ids = new List<string>();
        for (var ms = 0L; ms < 50; ms++)
        {
            for (var i = 0; i < 2_000; i++)
            {
                ids.Add(RequestIds.Next(1_765_000_000_000 + ms));
            }
        }

        Assert.Equal(ids.Count, ids.Distinct(StringComparer.Ordinal).Count());
        for (var i = 2_000; i < ids.Count; i += 2_000)
        {
            Assert.True(string.CompareOrdinal(ids[i - 1], ids[i]) < 0, $"an id of one millisecond sorts after one of the next: {ids[i - 1]} {ids[i]}");
        }
    }
}
