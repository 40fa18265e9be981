using System.Runtime.CompilerServices;

// The chunking benchmarks measure the boundary search without hashing (ContentChunker.FindBoundariesAsync);
// declared here rather than in Keel.Data.csproj because it concerns the chunker alone.
[assembly: InternalsVisibleTo("Keel.Benchmarks")]
