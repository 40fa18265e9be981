using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using Keel.Testing;

namespace Keel.Server.Tests.Reliability;

public sealed class ShutdownTests
{
    [Fact]
    public async Task Sigterm_lets_an_in_flight_upload_finish_then_the_server_exits_cleanly()
    {
        using var folder = new TempDirectory();
        await using var server = await ServerProcess.StartAsync(folder.Path);
        using var http = new HttpClient { BaseAddress = server.BaseUri, Timeout = TimeSpan.FromMinutes(2) };
        var upload = new SlowStream(length: 8 * 1024 * 1024, chunk: 256 * 1024, delay: TimeSpan.FromMilliseconds(40));
        var sending = http.PutAsync("api/2.0/mlflow-artifacts/artifacts/0/slow/artifacts/blob.bin", new StreamContent(upload));

        // Stop the server while the body is still arriving.
        while (upload.Position < 2 * 1024 * 1024)
        {
            await Task.Delay(20);
        }

        var exit = server.TerminateAsync();
        using var response = await sending;
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(0, await exit);

        await using var restarted = await ServerProcess.StartAsync(folder.Path);
        using var check = new HttpClient { BaseAddress = restarted.BaseUri };
        var stored = await check.GetByteArrayAsync("api/2.0/mlflow-artifacts/artifacts/0/slow/artifacts/blob.bin");
        Assert.Equal(upload.Sha256(), SHA256.HashData(stored));
        var listing = await check.GetFromJsonAsync<JsonElement>("api/2.0/mlflow-artifacts/artifacts?path=0/slow/artifacts");
        Assert.Single(listing.GetProperty("files").EnumerateArray());
    }

    /// <summary>A deterministic body that arrives slowly, so a shutdown can land in the middle of it.</summary>
    private sealed class SlowStream(int length, int chunk, TimeSpan delay) : Stream
    {
        private long _position;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => length;

        public override long Position
        {
            get => Interlocked.Read(ref _position);
            set => throw new NotSupportedException();
        }

        public byte[] Sha256()
        {
            var all = new byte[length];
            for (var i = 0; i < length; i++)
            {
                all[i] = Byte(i);
            }

            return SHA256.HashData(all);
        }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var start = Position;
            var count = (int)Math.Min(Math.Min(buffer.Length, chunk), length - start);
            if (count <= 0)
            {
                return 0;
            }

            await Task.Delay(delay, cancellationToken);
            for (var i = 0; i < count; i++)
            {
                buffer.Span[i] = Byte(start + i);
            }

            Interlocked.Add(ref _position, count);
            return count;
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        private static byte Byte(long i) => (byte)((i * 31) ^ (i >> 11));
    }
}
