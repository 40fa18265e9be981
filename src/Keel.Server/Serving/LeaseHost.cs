namespace Keel.Server.Serving;

/// <summary>
/// A value requests use while it can be swapped: each request leases the current value; a swap
/// makes the new one current at once and disposes the old one when its last lease ends, so no
/// in-flight request loses what it started with. Serving swaps route tables (models) through it.
/// </summary>
public sealed class LeaseHost<T> : IDisposable
    where T : class, IDisposable
{
    private readonly Lock _gate = new();
    private Entry _current;

    public LeaseHost(T value) => _current = new Entry(value);

    public T Current => _current.Value;

    /// <summary>The current value, held until the lease is disposed.</summary>
    public Lease Acquire()
    {
        lock (_gate)
        {
            _current.Leases++;
            return new Lease(this, _current);
        }
    }

    /// <summary>Makes <paramref name="value"/> current; the previous one is disposed after its last lease.</summary>
    public void Swap(T value)
    {
        Entry old;
        lock (_gate)
        {
            old = _current;
            _current = new Entry(value);
            old.Retired = true;
            if (old.Leases > 0)
            {
                return;
            }
        }

        old.Value.Dispose();
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _current.Retired = true;
            if (_current.Leases > 0)
            {
                return;
            }
        }

        _current.Value.Dispose();
    }

    private void Release(Entry entry)
    {
        lock (_gate)
        {
            if (--entry.Leases > 0 || !entry.Retired)
            {
                return;
            }
        }

        entry.Value.Dispose();
    }

    private sealed class Entry(T value)
    {
        public T Value { get; } = value;

        public int Leases { get; set; }

        public bool Retired { get; set; }
    }

    /// <summary>A request's hold on one value.</summary>
    public readonly struct Lease : IDisposable
    {
        private readonly LeaseHost<T> _host;
        private readonly Entry _entry;

        internal Lease(LeaseHost<T> host, object entry)
        {
            _host = host;
            _entry = (Entry)entry;
        }

        public T Value => _entry.Value;

        public void Dispose() => _host.Release(_entry);
    }
}
