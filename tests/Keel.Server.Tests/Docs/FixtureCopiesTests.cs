using Keel.Testing;

namespace Keel.Server.Tests.Docs;

/// <summary>
/// tests/fixtures/shared holds byte-identical copies of the oracle files in ../shared/fixtures, for
/// clones that do not sit beside that folder; when it is there, the copies must still match it.
/// </summary>
public sealed class FixtureCopiesTests
{
    [Fact]
    public void Every_committed_fixture_copy_equals_its_shared_original_when_the_shared_folder_is_present()
    {
        var copies = Directory.GetFiles(RepositoryFiles.Path("tests/fixtures/shared"));
        Assert.NotEmpty(copies);
        var shared = Path.GetFullPath(Path.Combine(RepositoryFiles.Root, "..", "shared", "fixtures"));
        if (!Directory.Exists(shared))
        {
            // A clone elsewhere: the copies are what the tests read.
            return;
        }

        var differing = copies
            .Where(copy => !File.ReadAllBytes(copy).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(shared, Path.GetFileName(copy)))))
            .Select(Path.GetFileName)
            .ToList();
        Assert.True(differing.Count == 0, $"Copies that differ from ../shared/fixtures: {string.Join(", ", differing)}");
    }
}
