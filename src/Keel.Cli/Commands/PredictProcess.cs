using System.Runtime.InteropServices;
using System.Text;

namespace Keel.Cli.Commands;

/// <summary>
/// `keel predict` runs with .NET's tiered compilation off. With it on, the methods a batch calls
/// once per chunk (the pipeline's loops, the CSV parser, Parquet.Net's writer, the thread pool's)
/// reach the optimizing JIT only after some 30 chunks: a 10,000,000-row run recompiled 383 of
/// them between its 2nd and 10th second, and the JIT's memory and new code kept 5 to 7 MiB more
/// than a 1,000,000-row run ever held, which ends before then. With tiering off every method is
/// compiled once, optimized (or taken precompiled from the ReadyToRun image), as the run starts;
/// rows/s are the same (docs/benchmarks.md, batch scoring). The server keeps tiering: without
/// it, and its profile-guided recompilation, serving measured half the requests/s.
/// <para>
/// The runtime reads the setting only as it starts, so on Linux the process replaces itself
/// (execve: same pid, arguments, descriptors and environment, plus the setting) before anything
/// else runs. A user's own <c>DOTNET_TieredCompilation</c> is kept; elsewhere, or if the exec
/// fails, the command runs tiered, as before.
/// </para>
/// <para>
/// The new process also gets one glibc malloc arena (<c>MALLOC_ARENA_MAX=1</c>, unless set):
/// ONNX Runtime's per-call allocations on the scoring threads then reuse one heap's free blocks
/// instead of each thread keeping its own; 0.5–0.8 MiB lower peaks for 1M and 10M rows, at the
/// same rows/s (docs/benchmarks.md, batch scoring).
/// </para>
/// </summary>
internal static partial class PredictProcess
{
    internal const string TieringVariable = "DOTNET_TieredCompilation";

    internal const string ArenaVariable = "MALLOC_ARENA_MAX";

    /// <summary>Returns only when the process was not replaced.</summary>
    public static void RunWithoutTiering(string[] args)
    {
        if (!OperatingSystem.IsLinux() || args is not ["predict", ..] || Environment.ProcessPath is not { } path)
        {
            return;
        }

        byte[] commandLine, environment;
        try
        {
            commandLine = File.ReadAllBytes("/proc/self/cmdline");
            environment = File.ReadAllBytes("/proc/self/environ");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return;
        }

        if (ExecEnvironment(environment) is { } replaced)
        {
            Exec(path, commandLine, replaced);
        }
    }

    /// <summary>
    /// The environment block (NUL-separated <c>NAME=value</c> entries, as in /proc/self/environ)
    /// with tiering off and one malloc arena unless the user set that; null when the user set
    /// tiering either way (DOTNET_ or the older COMPlus_ prefix): then there is no exec.
    /// </summary>
    internal static byte[]? ExecEnvironment(byte[] environment)
    {
        var arena = false;
        foreach (var entry in Entries(environment))
        {
            if (entry.StartsWith("DOTNET_TieredCompilation="u8) || entry.StartsWith("COMPlus_TieredCompilation="u8))
            {
                return null;
            }

            arena |= entry.StartsWith("MALLOC_ARENA_MAX="u8);
        }

        var settings = Encoding.ASCII.GetBytes($"{TieringVariable}=0\0" + (arena ? "" : $"{ArenaVariable}=1\0"));
        var trimmed = environment.AsSpan().TrimEnd((byte)0);
        return trimmed.IsEmpty ? settings : [.. trimmed, 0, .. settings];
    }

    /// <summary>The NUL-terminated entries of a /proc block, without their terminators.</summary>
    internal static List<byte[]> Entries(byte[] block)
    {
        var entries = new List<byte[]>();
        var rest = block.AsSpan();
        while (!rest.IsEmpty)
        {
            var end = rest.IndexOf((byte)0);
            var entry = end < 0 ? rest : rest[..end];
            entries.Add(entry.ToArray());
            rest = end < 0 ? [] : rest[(end + 1)..];
        }

        return entries;
    }

    private static void Exec(string path, byte[] commandLine, byte[] environment)
    {
        // The blocks are NUL-separated already: pinned as they are, argv and envp point into them.
        byte[] pathBytes = [.. Encoding.UTF8.GetBytes(path), 0];
        byte[][] blocks = [pathBytes, Terminated(commandLine), Terminated(environment)];
        var handles = blocks.Select(b => GCHandle.Alloc(b, GCHandleType.Pinned)).ToArray();
        try
        {
            _ = Execve(handles[0].AddrOfPinnedObject(), Pointers(blocks[1], handles[1]), Pointers(blocks[2], handles[2]));

            // Still here: the exec failed (errno in Marshal.GetLastPInvokeError()); run tiered.
        }
        finally
        {
            foreach (var handle in handles)
            {
                handle.Free();
            }
        }
    }

    private static byte[] Terminated(byte[] block) => block is [.., 0] ? block : [.. block, 0];

    /// <summary>A NULL-terminated array of pointers to the entries of a pinned, NUL-terminated block.</summary>
    private static IntPtr[] Pointers(byte[] block, GCHandle pinned)
    {
        var start = pinned.AddrOfPinnedObject();
        var pointers = new List<IntPtr>();
        for (var offset = 0; offset < block.Length; offset = Array.IndexOf(block, (byte)0, offset) + 1)
        {
            pointers.Add(start + offset);
        }

        pointers.Add(IntPtr.Zero);
        return [.. pointers];
    }

    [LibraryImport("libc", EntryPoint = "execve", SetLastError = true)]
    private static partial int Execve(IntPtr path, IntPtr[] argv, IntPtr[] envp);
}
