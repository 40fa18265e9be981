using BenchmarkDotNet.Attributes;
using Keel.Data.Chunking;

namespace Keel.Benchmarks;

/// <summary>
/// The chunker of <c>keel data add</c> over 256 MB of pseudo-random bytes in memory (no disk): the
/// whole pipeline (FastCDC boundaries + SHA-256 of every chunk, default 256 KiB / 1 MiB / 4 MiB sizes)
/// against the boundary search alone. How to read it: throughput in MB/s = 268.4 / Mean in seconds
/// (e.g. a Mean of 150 ms is 1,790 MB/s). Allocated should stay near a few hundred KB whatever the
/// input size: blocks are pooled, only the result list and one task per chunk are allocated.
/// The 1 GB-file figure from the page cache, with md5sum and sha256sum in the same run, comes from
/// <c>Keel.Benchmarks.dll chunk FILE</c> (docs/benchmarks.md).
/// </summary>
[MemoryDiagnoser]
public class ChunkingBenchmarks
{
    private const int Size = 256 * 1024 * 1024;
    private byte[] _data = null!;

    [GlobalSetup]
    public void Setup()
    {
        _data = new byte[Size];
        new Random(42).NextBytes(_data);
    }

    [Benchmark(Baseline = true)]
    public Task<IReadOnlyList<ChunkRef>> Boundaries_and_SHA256_of_256_MB() =>
        ContentChunker.ChunkAsync(new MemoryStream(_data, writable: false), ChunkingOptions.Default, null, CancellationToken.None);

    [Benchmark]
    public Task<IReadOnlyList<ChunkRef>> Boundaries_only_of_256_MB() =>
        ContentChunker.FindBoundariesAsync(new MemoryStream(_data, writable: false), ChunkingOptions.Default, CancellationToken.None);
}
