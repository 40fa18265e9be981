namespace Keel.Data.Chunking;

/// <summary>One chunk of a stream: the lowercase hex SHA-256 of its bytes, its offset in the stream and its length.</summary>
/// <param name="Hash">SHA-256 of the chunk's bytes, 64 lowercase hex characters (see <see cref="ChunkHash"/>).</param>
/// <param name="Offset">Position of the chunk's first byte in the stream.</param>
/// <param name="Size">Length of the chunk in bytes.</param>
public readonly record struct ChunkRef(string Hash, long Offset, int Size);
