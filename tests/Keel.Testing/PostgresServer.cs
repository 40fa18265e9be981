using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Npgsql;

namespace Keel.Testing;

/// <summary>
/// A real PostgreSQL server on a temporary data folder and a free loopback port, started with
/// <c>initdb</c> + <c>pg_ctl</c> and stopped (<c>-m immediate</c>) and deleted on dispose.
/// Use it as an xunit class or collection fixture (one server per fixture), or share one server
/// per test process with <see cref="GetSharedAsync"/>. Tests isolate themselves with
/// <see cref="CreateDatabase"/>: one fresh database each, never the <c>postgres</c> database.
/// </summary>
public sealed class PostgresServer : IAsyncLifetime, IAsyncDisposable
{
    /// <summary>What a machine without the server binaries needs (Debian/Ubuntu).</summary>
    public const string InstallCommand = "apt-get install -y postgresql";

    // Durability off: a test database that loses its last commit on a crash costs nothing,
    // and fsync per commit is most of the time of a write-heavy test.
    private const string ServerSettings =
        "-c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off " +
        "-c max_connections=300 -c shared_buffers=32MB";

    private const string SuperUser = "postgres";
    private const string FolderPrefix = "keel-pg-";
    private const string OwnerFile = "owner";
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromMinutes(2);
    private static readonly SemaphoreSlim SharedGate = new(1, 1);
    private static readonly Lock SweepLock = new();
    private static PostgresServer? _shared;
    private static Task? _sweep;

    private readonly bool _isShared;
    private TempDirectory? _root;
    private string? _binDirectory;
    private bool _runAsPostgresUser;
    private bool _started;

    public PostgresServer()
        : this(isShared: false)
    {
    }

    private PostgresServer(bool isShared)
    {
        _isShared = isShared;
    }

    /// <summary>TCP port on 127.0.0.1; valid after <see cref="InitializeAsync"/>.</summary>
    public int Port { get; private set; }

    /// <summary>Folder holding initdb, pg_ctl, psql and postgres.</summary>
    public string BinDirectory => _binDirectory ?? throw NotStarted();

    /// <summary>Npgsql connection string for the superuser on the <c>postgres</c> maintenance database.</summary>
    public string ConnectionString => ConnectionStringFor("postgres");

    private string DataDirectory => Path.Combine(RootPath, "data");

    private string SocketDirectory => Path.Combine(RootPath, "sock");

    private string LogFile => Path.Combine(RootPath, "postgres.log");

    private string RootPath => _root?.Path ?? throw NotStarted();

    /// <summary>
    /// One server for the whole test process, started on first use and stopped when the process
    /// exits. Disposing it does nothing, so a test class cannot stop it under another.
    /// </summary>
    public static async Task<PostgresServer> GetSharedAsync(CancellationToken cancellationToken = default)
    {
        await SharedGate.WaitAsync(cancellationToken);
        try
        {
            if (_shared is null)
            {
                var server = new PostgresServer(isShared: true);
                await server.StartAsync(cancellationToken);
                AppDomain.CurrentDomain.ProcessExit += (_, _) => server.Stop();
                _shared = server;
            }

            return _shared;
        }
        finally
        {
            SharedGate.Release();
        }
    }

    /// <summary>Npgsql connection string for the superuser on <paramref name="database"/>.</summary>
    public string ConnectionStringFor(string database)
    {
        var builder = new NpgsqlConnectionStringBuilder
        {
            Host = "127.0.0.1",
            Port = Port == 0 ? throw NotStarted() : Port,
            Username = SuperUser,
            Database = database,
            IncludeErrorDetail = true,
        };
        return builder.ConnectionString;
    }

    /// <summary><c>postgresql://postgres@127.0.0.1:PORT/database</c>, the form Keel's backend store URI takes.</summary>
    public string UriFor(string database) =>
        string.Create(CultureInfo.InvariantCulture, $"postgresql://{SuperUser}@127.0.0.1:{(Port == 0 ? throw NotStarted() : Port)}/{database}");

    /// <summary>Creates an empty database (a fresh name when none is given) and returns its connection string.</summary>
    public string CreateDatabase(string? name = null)
    {
        var database = DatabaseName(name);
        using (var connection = new NpgsqlConnection(ConnectionString))
        {
            connection.Open();
            using var command = new NpgsqlCommand($"CREATE DATABASE \"{database}\"", connection);
            command.ExecuteNonQuery();
        }

        return ConnectionStringFor(database);
    }

    /// <inheritdoc cref="CreateDatabase"/>
    public async Task<string> CreateDatabaseAsync(string? name = null, CancellationToken cancellationToken = default)
    {
        var database = DatabaseName(name);
        await using (var connection = new NpgsqlConnection(ConnectionString))
        {
            await connection.OpenAsync(cancellationToken);
            await using var command = new NpgsqlCommand($"CREATE DATABASE \"{database}\"", connection);
            await command.ExecuteNonQueryAsync(cancellationToken);
        }

        return ConnectionStringFor(database);
    }

    public Task InitializeAsync() => StartAsync(CancellationToken.None);

    /// <summary>Starts the server; a no-op when it is already running.</summary>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        if (_started)
        {
            return;
        }

        _binDirectory = FindBinDirectory();
        _runAsPostgresUser = string.Equals(Environment.UserName, "root", StringComparison.Ordinal);
        await SweepOrphansOnceAsync(cancellationToken);
        _root = new TempDirectory(FolderPrefix);
        try
        {
            await InitializeAndStartAsync(cancellationToken);
        }
        catch
        {
            // xunit does not dispose a fixture whose initialization threw: clean up here.
            await StopAsync();
            throw;
        }

        _started = true;
    }

    private async Task InitializeAndStartAsync(CancellationToken cancellationToken)
    {
        await File.WriteAllTextAsync(Path.Combine(RootPath, OwnerFile), OwnerStamp(Environment.ProcessId), cancellationToken);
        if (_runAsPostgresUser)
        {
            // PostgreSQL refuses to run as root; the Debian package creates the `postgres` user.
            await RunAsync("chown", [$"{SuperUser}:", RootPath], asPostgres: false, cancellationToken);
        }

        await RunPostgresToolAsync(
            "initdb",
            ["-D", DataDirectory, "-U", SuperUser, "--auth=trust", "-E", "UTF8", "--locale=C", "--no-sync"],
            cancellationToken);
        Directory.CreateDirectory(SocketDirectory);
        if (_runAsPostgresUser)
        {
            await RunAsync("chown", [$"{SuperUser}:", SocketDirectory], asPostgres: false, cancellationToken);
        }

        // A free port can be taken between probing and binding; another probe usually wins.
        for (var attempt = 1; ; attempt++)
        {
            Port = FreeLoopbackPort();
            var options = string.Create(CultureInfo.InvariantCulture, $"-p {Port} -k '{SocketDirectory}' {ServerSettings}");
            var result = await RunPostgresToolAsync(
                "pg_ctl",
                ["-D", DataDirectory, "-l", LogFile, "-o", options, "-w", "-t", "60", "start"],
                cancellationToken,
                allowFailure: true);
            if (result.ExitCode == 0)
            {
                break;
            }

            if (attempt == 3)
            {
                Port = 0;
                throw new InvalidOperationException(
                    $"pg_ctl start failed ({result.ExitCode}): {result.Output}\n--- {LogFile} ---\n{ReadLog()}");
            }
        }
    }

    public Task DisposeAsync() => _isShared ? Task.CompletedTask : StopAsync();

    async ValueTask IAsyncDisposable.DisposeAsync() => await DisposeAsync();

    private async Task StopAsync()
    {
        if (_root is null)
        {
            return;
        }

        // postmaster.pid also covers a start that timed out after the server came up.
        if (_started || File.Exists(Path.Combine(DataDirectory, "postmaster.pid")))
        {
            await RunPostgresToolAsync("pg_ctl", ["-D", DataDirectory, "-m", "immediate", "-w", "stop"], CancellationToken.None, allowFailure: true);
            _started = false;
        }

        _root.Dispose();
        _root = null;
    }

    // ProcessExit handlers are synchronous; the shared server is stopped from one.
    private void Stop()
    {
        if (_root is null || !_started)
        {
            return;
        }

        using var process = Process.Start(StartInfo(Path.Combine(BinDirectory, "pg_ctl"), ["-D", DataDirectory, "-m", "immediate", "-w", "stop"], _runAsPostgresUser));
        process?.WaitForExit(TimeSpan.FromSeconds(30));
        _started = false;
        _root.Dispose();
        _root = null;
    }

    // vstest kills the test host soon after the last result, so ProcessExit handlers (which stop
    // the shared server) may not finish, and a killed test run leaves its servers running. Each
    // folder records the process that owns it; a later run stops and deletes what a dead owner left.
    private Task SweepOrphansOnceAsync(CancellationToken cancellationToken)
    {
        lock (SweepLock)
        {
            return _sweep ??= SweepOrphansAsync(cancellationToken);
        }
    }

    private async Task SweepOrphansAsync(CancellationToken cancellationToken)
    {
        foreach (var folder in Directory.EnumerateDirectories(Path.GetTempPath(), FolderPrefix + "*"))
        {
            var ownerPath = Path.Combine(folder, OwnerFile);
            string stamp;
            try
            {
                stamp = await File.ReadAllTextAsync(ownerPath, cancellationToken);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                continue; // being created (owner not written yet), already gone, or another user's
            }

            if (!int.TryParse(stamp.Split(' ')[0], NumberStyles.None, CultureInfo.InvariantCulture, out var pid)
                || string.Equals(OwnerStamp(pid), stamp, StringComparison.Ordinal))
            {
                continue; // owner alive (or a stamp this code did not write)
            }

            var data = Path.Combine(folder, "data");
            if (File.Exists(Path.Combine(data, "postmaster.pid")))
            {
                await RunPostgresToolAsync("pg_ctl", ["-D", data, "-m", "immediate", "-w", "stop"], cancellationToken, allowFailure: true);
            }

            try
            {
                Directory.Delete(folder, recursive: true);
            }
            catch (IOException)
            {
            }
            catch (UnauthorizedAccessException)
            {
            }
        }
    }

    // "PID START": the start time tells a live owner from a later process that reused its PID.
    private static string OwnerStamp(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return string.Create(CultureInfo.InvariantCulture, $"{pid} {process.StartTime.Ticks}");
        }
        catch (ArgumentException)
        {
            return string.Create(CultureInfo.InvariantCulture, $"{pid} exited");
        }
        catch (InvalidOperationException)
        {
            return string.Create(CultureInfo.InvariantCulture, $"{pid} exited");
        }
    }

    private static string DatabaseName(string? name)
    {
        var database = name ?? "keel_" + Guid.NewGuid().ToString("N");
        // Quoted into SQL below: allow only what an identifier needs.
        if (database.Length is 0 or > 63 || !database.All(c => char.IsAsciiLetterOrDigit(c) || c == '_'))
        {
            throw new ArgumentException($"Database name '{database}' must be 1-63 ASCII letters, digits or '_'.", nameof(name));
        }

        return database;
    }

    private static int FreeLoopbackPort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        try
        {
            return ((IPEndPoint)listener.LocalEndpoint).Port;
        }
        finally
        {
            listener.Stop();
        }
    }

    /// <summary>PATH first (following symlinks to the real folder), then the newest /usr/lib/postgresql/N/bin.</summary>
    private static string FindBinDirectory()
    {
        var candidates = new List<string>();
        var fromEnvironment = Environment.GetEnvironmentVariable("KEEL_PG_BIN");
        if (!string.IsNullOrEmpty(fromEnvironment))
        {
            candidates.Add(fromEnvironment);
        }

        foreach (var folder in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            var initdb = Path.Combine(folder, "initdb");
            if (File.Exists(initdb))
            {
                var target = File.ResolveLinkTarget(initdb, returnFinalTarget: true)?.FullName ?? initdb;
                candidates.Add(Path.GetDirectoryName(target)!);
            }
        }

        const string debianRoot = "/usr/lib/postgresql";
        if (Directory.Exists(debianRoot))
        {
            candidates.AddRange(Directory.GetDirectories(debianRoot)
                .Select(version => (Version: int.TryParse(Path.GetFileName(version), NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : -1, Bin: Path.Combine(version, "bin")))
                .OrderByDescending(v => v.Version)
                .Select(v => v.Bin));
        }

        return candidates.FirstOrDefault(bin => File.Exists(Path.Combine(bin, "initdb")) && File.Exists(Path.Combine(bin, "pg_ctl")))
            ?? throw new InvalidOperationException(
                "PostgreSQL server binaries (initdb, pg_ctl) were not found on PATH or under /usr/lib/postgresql/*/bin. " +
                $"Install them with `{InstallCommand}` (as root; ./test.sh does this), or set KEEL_PG_BIN to their folder.");
    }

    private Task<CommandResult> RunPostgresToolAsync(string tool, IReadOnlyList<string> arguments, CancellationToken cancellationToken, bool allowFailure = false) =>
        RunAsync(Path.Combine(BinDirectory, tool), arguments, _runAsPostgresUser, cancellationToken, allowFailure);

    private async Task<CommandResult> RunAsync(string file, IReadOnlyList<string> arguments, bool asPostgres, CancellationToken cancellationToken, bool allowFailure = false)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(CommandTimeout);
        using var process = new Process { StartInfo = StartInfo(file, arguments, asPostgres) };
        var output = new StringBuilder();
        process.OutputDataReceived += (_, e) => Append(output, e.Data);
        process.ErrorDataReceived += (_, e) => Append(output, e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        // WaitForExitAsync returns once the output pipes are drained too.
        var result = new CommandResult(process.ExitCode, Snapshot(output));
        if (result.ExitCode != 0 && !allowFailure)
        {
            throw new InvalidOperationException(
                $"`{file} {string.Join(' ', arguments)}` failed ({result.ExitCode}): {result.Output}");
        }

        return result;
    }

    private ProcessStartInfo StartInfo(string file, IReadOnlyList<string> arguments, bool asPostgres)
    {
        var info = new ProcessStartInfo
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = false,
            UseShellExecute = false,
            // A cwd the postgres user may not enter (/root) makes the tools warn or fail.
            WorkingDirectory = _root?.Path ?? Path.GetTempPath(),
        };
        if (asPostgres)
        {
            // runuser (util-linux) needs no password and no login shell; su is the fallback.
            var runuser = new[] { "/usr/sbin/runuser", "/sbin/runuser", "/usr/bin/runuser" }.FirstOrDefault(File.Exists);
            if (runuser is not null)
            {
                info.FileName = runuser;
                foreach (var argument in (string[])["-u", SuperUser, "--", file, .. arguments])
                {
                    info.ArgumentList.Add(argument);
                }
            }
            else
            {
                info.FileName = "su";
                var command = string.Join(' ', new[] { file }.Concat(arguments).Select(ShellQuote));
                foreach (var argument in (string[])["-s", "/bin/sh", SuperUser, "-c", command])
                {
                    info.ArgumentList.Add(argument);
                }
            }
        }
        else
        {
            info.FileName = file;
            foreach (var argument in arguments)
            {
                info.ArgumentList.Add(argument);
            }
        }

        // Settings meant for some other cluster must not leak into this one.
        foreach (var variable in (string[])["PGDATA", "PGPORT", "PGHOST", "PGUSER", "PGDATABASE", "PGOPTIONS"])
        {
            info.Environment.Remove(variable);
        }

        info.Environment["LC_ALL"] = "C";
        return info;
    }

    private static string ShellQuote(string value) => "'" + value.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

    private static void Append(StringBuilder output, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (output)
        {
            output.AppendLine(line);
        }
    }

    private static string Snapshot(StringBuilder output)
    {
        lock (output)
        {
            return output.ToString().Trim();
        }
    }

    private string ReadLog()
    {
        try
        {
            return File.Exists(LogFile) ? File.ReadAllText(LogFile) : "(no log written)";
        }
        catch (IOException e)
        {
            return $"(log unreadable: {e.Message})";
        }
    }

    private static InvalidOperationException NotStarted() =>
        new("The PostgreSQL server is not started; await InitializeAsync() (xunit does this for fixtures) or GetSharedAsync().");

    private readonly record struct CommandResult(int ExitCode, string Output);
}
