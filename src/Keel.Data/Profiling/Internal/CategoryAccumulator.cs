using System.Runtime.InteropServices;

namespace Keel.Data.Profiling.Internal;

/// <summary>
/// A string or boolean column's values as they stream past: exact counts per value up to
/// <see cref="ProfileOptions.MaxTrackedValues"/> distinct values; past that, Misra–Gries: the counts
/// are cut by the median tracked count whenever the table is full, so the frequent values stay and
/// each count is low by at most the sum of the cuts, and a HyperLogLog counts the distinct values.
/// </summary>
internal sealed class CategoryAccumulator(string name, string type, ProfileOptions options)
{
    private readonly Dictionary<string, long> _counts = new(StringComparer.Ordinal);
    private long _count;
    private long _missing;
    private long _cut;
    private int _minLength = int.MaxValue;
    private int _maxLength;
    private HyperLogLog? _distinct;

    public string Name => name;

    public void AddMissing(long count) => _missing += count;

    public void Add(string? value)
    {
        if (value is null)
        {
            _missing++;
            return;
        }

        _count++;
        if (value.Length < _minLength)
        {
            _minLength = value.Length;
        }

        if (value.Length > _maxLength)
        {
            _maxLength = value.Length;
        }

        _distinct?.Add(value);
        ref var count = ref CollectionsMarshal.GetValueRefOrAddDefault(_counts, value, out var existed);
        count++;
        if (!existed && _counts.Count > options.MaxTrackedValues)
        {
            Cut();
        }
    }

    public void Add(bool value, long count)
    {
        if (count == 0)
        {
            return;
        }

        var text = value ? "true" : "false";
        _count += count;
        _minLength = Math.Min(_minLength, text.Length);
        _maxLength = Math.Max(_maxLength, text.Length);
        _counts[text] = _counts.GetValueOrDefault(text) + count;
    }

    public ColumnProfile Build()
    {
        var rows = _count + _missing;
        var exact = _distinct is null;
        // Every value in order only when the profile keeps them all; otherwise just the top ones
        // (a near-unique column tracks up to MaxTrackedValues: sorting them all cost more than the rest of Build).
        var all = exact && _counts.Count <= options.MaxCategories;
        var ordered = (all ? [.. _counts] : Top(_counts, options.TopValues))
            .OrderByDescending(pair => pair.Value)
            .ThenBy(pair => pair.Key, StringComparer.Ordinal)
            .Select(pair => new ValueCount(pair.Key, pair.Value, _count == 0 ? 0 : (double)pair.Value / _count))
            .ToList();
        var categorical = new CategoricalProfile(
            ordered.Take(options.TopValues).ToList(),
            all ? ordered : null,
            exact, _cut,
            _count == 0 ? 0 : _minLength, _maxLength);
        return new ColumnProfile(
            name, type, _count, _missing, rows == 0 ? 0 : (double)_missing / rows,
            exact ? _counts.Count : _distinct!.Estimate(), exact, null, categorical);
    }

    /// <summary>
    /// The <paramref name="k"/> first pairs in the order of <see cref="Build"/> (count descending,
    /// then value ordinal), unordered: a heap of k whose root is the one that would be dropped first.
    /// </summary>
    private static List<KeyValuePair<string, long>> Top(Dictionary<string, long> counts, int k)
    {
        var heap = new PriorityQueue<KeyValuePair<string, long>, KeyValuePair<string, long>>(k + 1, LastFirst.Instance);
        foreach (var pair in counts)
        {
            if (heap.Count < k)
            {
                heap.Enqueue(pair, pair);
            }
            else if (k > 0 && LastFirst.Instance.Compare(pair, heap.Peek()) > 0)
            {
                heap.EnqueueDequeue(pair, pair);
            }
        }

        return [.. heap.UnorderedItems.Select(item => item.Element)];
    }

    /// <summary>Orders pairs so that the one ranked last (fewest, then greatest value) comes first.</summary>
    private sealed class LastFirst : IComparer<KeyValuePair<string, long>>
    {
        public static readonly LastFirst Instance = new();

        public int Compare(KeyValuePair<string, long> x, KeyValuePair<string, long> y)
        {
            var byCount = x.Value.CompareTo(y.Value);
            return byCount != 0 ? byCount : string.CompareOrdinal(y.Key, x.Key);
        }
    }

    private void Cut()
    {
        if (_distinct is null)
        {
            _distinct = new HyperLogLog();
            foreach (var key in _counts.Keys)
            {
                _distinct.Add(key);
            }
        }

        var counts = _counts.Values.ToArray();
        Array.Sort(counts);
        var cut = counts[counts.Length / 2];
        _cut += cut;
        foreach (var (key, count) in _counts)
        {
            if (count <= cut)
            {
                _counts.Remove(key);
            }
            else
            {
                CollectionsMarshal.GetValueRefOrNullRef(_counts, key) = count - cut;
            }
        }
    }
}
