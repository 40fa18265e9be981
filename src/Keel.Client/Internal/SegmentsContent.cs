namespace Keel.Client.Internal;

/// <summary>A request body made of pieces of memory the caller owns, sent one after the other without copying them together.</summary>
internal sealed class SegmentsContent(IReadOnlyList<ReadOnlyMemory<byte>> segments) : HttpContent
{
    protected override async Task SerializeToStreamAsync(Stream stream, System.Net.TransportContext? context, CancellationToken cancellationToken)
    {
        foreach (var segment in segments)
        {
            await stream.WriteAsync(segment, cancellationToken);
        }
    }

    protected override Task SerializeToStreamAsync(Stream stream, System.Net.TransportContext? context) =>
        SerializeToStreamAsync(stream, context, CancellationToken.None);

    protected override bool TryComputeLength(out long length)
    {
        length = 0;
        foreach (var segment in segments)
        {
            length += segment.Length;
        }

        return true;
    }
}
