using System.Runtime.CompilerServices;

namespace Keel.Testing;

/// <summary>Files of the repository tests read: README.md, docs/, sources, and the shared fixtures.</summary>
public static class RepositoryFiles
{
    private const string Marker = "Keel.slnx";

    /// <summary>
    /// The folder holding Keel.slnx: found by walking up from the test binaries, or, when they were
    /// built outside the work tree (`dotnet test --artifacts-path /tmp/…`), from this source file.
    /// </summary>
    public static string Root { get; } = FindRoot();

    public static string Path(string relative) => System.IO.Path.Combine(Root, relative.Replace('/', System.IO.Path.DirectorySeparatorChar));

    /// <summary>A text file with `\n` line ends, so comparisons do not depend on the checkout's settings.</summary>
    public static string ReadText(string relative) =>
        File.ReadAllText(Path(relative)).Replace("\r\n", "\n", StringComparison.Ordinal);

    /// <summary>
    /// A file of the shared oracle fixtures (`../shared/fixtures/` beside the checkout, computed
    /// outside Keel). A clone without that folder falls back to the byte-identical copies under
    /// `tests/fixtures/shared/`; a test checks the copies still equal the originals.
    /// </summary>
    public static string SharedFixture(string name)
    {
        var shared = System.IO.Path.GetFullPath(System.IO.Path.Combine(Root, "..", "shared", "fixtures", name));
        if (File.Exists(shared))
        {
            return shared;
        }

        var copy = Path("tests/fixtures/shared/" + name);
        return File.Exists(copy)
            ? copy
            : throw new FileNotFoundException($"Fixture {name} is neither in ../shared/fixtures nor in tests/fixtures/shared.", shared);
    }

    private static string FindRoot([CallerFilePath] string sourceFile = "")
    {
        foreach (var start in new[] { AppContext.BaseDirectory, System.IO.Path.GetDirectoryName(sourceFile) })
        {
            for (var dir = string.IsNullOrEmpty(start) ? null : new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(System.IO.Path.Combine(dir.FullName, Marker)))
                {
                    return dir.FullName;
                }
            }
        }

        throw new InvalidOperationException(
            $"No folder containing {Marker} above {AppContext.BaseDirectory} or {sourceFile}: run the tests from a checkout of the repository.");
    }
}
