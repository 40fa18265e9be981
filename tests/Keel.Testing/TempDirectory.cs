namespace Keel.Testing;

/// <summary>
/// A fresh, empty folder under the system temp folder, deleted with everything in it on dispose.
/// One per test (or per fixture): nothing is shared between instances.
/// </summary>
public sealed class TempDirectory : IDisposable
{
    public TempDirectory(string prefix = "keel-test-")
    {
        Path = Directory.CreateTempSubdirectory(prefix).FullName;
    }

    /// <summary>Absolute path of the folder.</summary>
    public string Path { get; }

    /// <summary>A path inside the folder; nothing is created.</summary>
    public string Combine(params string[] parts) => System.IO.Path.Combine([Path, .. parts]);

    public override string ToString() => Path;

    public void Dispose()
    {
        // Best effort: a test that failed may still hold a file open (a server's log), and a leftover
        // folder under /tmp must not turn a passing test run into a failing one.
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
