using System.Text;
using Keel.Core.Datasets;
using Keel.Core.Errors;

namespace Keel.Data.Tests.Versioning;

public sealed class DatasetManifestTests
{
    private static readonly string A = new('a', 64);
    private static readonly string B = new('b', 64);

    [Fact]
    public void The_id_depends_on_the_content_not_on_the_order_files_were_listed()
    {
        var one = new DatasetManifest([new ManifestFile("b.csv", 5, [new ChunkInfo(B, 5)]), new ManifestFile("a/x.bin", 3, [new ChunkInfo(A, 3)])]);
        var two = new DatasetManifest([new ManifestFile("a/x.bin", 3, [new ChunkInfo(A, 3)]), new ManifestFile("b.csv", 5, [new ChunkInfo(B, 5)])]);
        var other = new DatasetManifest([new ManifestFile("a/x.bin", 3, [new ChunkInfo(A, 3)]), new ManifestFile("c.csv", 5, [new ChunkInfo(B, 5)])]);

        Assert.Equal(one.Id, two.Id);
        Assert.NotEqual(one.Id, other.Id);
        Assert.Equal(32, one.Id.Length);
        Assert.Equal($$"""{"files":[{"path":"a/x.bin","size":3,"chunks":[["{{A}}",3]]},{"path":"b.csv","size":5,"chunks":[["{{B}}",5]]}]}""",
            Encoding.UTF8.GetString(one.Canonical));
        Assert.Equal(one.Id, DatasetManifest.Parse(one.Canonical).Id);
        Assert.Equal(8, one.SizeBytes);
    }

    [Theory]
    [InlineData("../up.csv", "'..'")]
    [InlineData("/abs.csv", "relative")]
    [InlineData("a//b.csv", "empty")]
    [InlineData("a\\b.csv", "backslashes")]
    public void Paths_that_could_leave_the_folder_are_refused_naming_the_path(string path, string rule)
    {
        var error = Assert.Throws<KeelException>(() => new DatasetManifest([new ManifestFile(path, 0, [])]));

        Assert.Contains($"'{path}'", error.Message, StringComparison.Ordinal);
        Assert.Contains(rule, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Sizes_must_add_up_and_hashes_must_be_sha256()
    {
        var size = Assert.Throws<KeelException>(() => new DatasetManifest([new ManifestFile("a", 4, [new ChunkInfo(A, 3)])]));
        Assert.Contains("size 4 but its chunks add up to 3", size.Message, StringComparison.Ordinal);
        var hash = Assert.Throws<KeelException>(() => DatasetManifest.Parse("""{"files": [{"path": "a", "size": 3, "chunks": [["ABC", 3]]}]}"""u8));
        Assert.Contains("'ABC'", hash.Message, StringComparison.Ordinal);
        var field = Assert.Throws<KeelException>(() => DatasetManifest.Parse("""{"files": [{"path": "a", "chunks": []}]}"""u8));
        Assert.Contains("'manifest.files[0].size'", field.Message, StringComparison.Ordinal);
    }
}
