using System.Runtime.CompilerServices;

namespace Keel.Tabular.Chunks.Internal;

/// <summary>
/// Column arrays of exactly one chunk's length, handed back once a chunk is written and reused for
/// a later chunk. A chunk's columns are large (32,768 doubles are 256 KiB, on the large object
/// heap); allocating them fresh for every chunk costs a gen-2 collection every few chunks and a
/// page fault for every page of new memory. Only as many arrays exist as chunks are in flight.
/// </summary>
internal sealed class ChunkArrays(int length)
{
    private readonly Lock _lock = new();
    private readonly Dictionary<Type, Stack<Array>> _free = [];

    // Only arrays handed out here come back: an array from elsewhere (a model output of chunk
    // length) would make the pool grow by one every chunk. Weak, so the arrays of chunks a reader's
    // caller keeps or drops (only BatchScorer hands them back) are the caller's to keep or collect.
    private readonly ConditionalWeakTable<Array, object> _owned = [];

    public int Length { get; } = length;

    /// <summary>An array of <see cref="Length"/> elements; its contents are whatever a previous chunk left.</summary>
    public T[] Rent<T>()
    {
        lock (_lock)
        {
            if (_free.TryGetValue(typeof(T), out var free) && free.TryPop(out var array))
            {
                return (T[])array;
            }

            var created = new T[Length];
            _owned.Add(created, _owned);
            return created;
        }
    }

    /// <summary>
    /// Takes back the arrays of tables no one reads any more. An array two of them share (an input
    /// column kept in the output) comes back once: handing it out twice would let two chunks fill it.
    /// </summary>
    public void Return(params Table[] tables)
    {
        lock (_lock)
        {
            var seen = new HashSet<Array>(ReferenceEqualityComparer.Instance);
            foreach (var column in tables.SelectMany(t => t.Columns))
            {
                switch (column)
                {
                    case DoubleColumn d:
                        Add(d.Values, seen);
                        break;
                    case FloatColumn f:
                        Add(f.Values, seen);
                        break;
                    case Int64Column l:
                        Add(l.Values, seen);
                        Add(l.Missing, seen);
                        break;
                    case Int32Column i:
                        Add(i.Values, seen);
                        Add(i.Missing, seen);
                        break;
                    case BooleanColumn b:
                        Add(b.Values, seen);
                        Add(b.Missing, seen);
                        break;
                    case StringColumn s:
                        Add(s.Values, seen);
                        break;
                }
            }
        }
    }

    private void Add<T>(T[]? array, HashSet<Array> seen)
    {
        if (array is not null && _owned.TryGetValue(array, out _) && seen.Add(array))
        {
            if (!_free.TryGetValue(typeof(T), out var free))
            {
                _free[typeof(T)] = free = new Stack<Array>();
            }

            free.Push(array);
        }
    }
}
