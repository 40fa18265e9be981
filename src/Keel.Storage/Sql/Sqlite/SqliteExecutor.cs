using System.Data.Common;
using System.Threading.Channels;
using Microsoft.Data.Sqlite;

namespace Keel.Storage.Sql.Sqlite;

/// <summary>
/// SQLite allows one writer at a time. Rather than let requests fight over the lock ("database is
/// locked"), every write is queued to a single writer connection that takes whatever is queued,
/// runs each request inside its own SAVEPOINT, and commits them together: one fsync for many
/// requests, and a failing request rolls back only its own savepoint. Reads use pooled
/// connections in WAL mode and never wait for the writer.
/// </summary>
internal sealed class SqliteExecutor : SqlExecutor
{
    private const int MaxRequestsPerCommit = 256;
    private const string ReaderPragmas = "PRAGMA mmap_size=268435456;";

    private readonly string _connectionString;
    private readonly Channel<WriteRequest> _queue = Channel.CreateUnbounded<WriteRequest>(new UnboundedChannelOptions { SingleReader = true });
    private readonly SqliteConnection _writer;
    private readonly Task _loop;

    static SqliteExecutor()
    {
        // Every connection is used by one thread at a time (the pool hands a reader to one request,
        // the writer has its own thread), so SQLite's per-call mutexes only cost time: multi-thread
        // mode drops them. It must be set before SQLite initialises; if it already has, this is a no-op.
        SQLitePCL.Batteries_V2.Init();
        _ = SQLitePCL.raw.sqlite3_config(SQLitePCL.raw.SQLITE_CONFIG_MULTITHREAD);
    }

    public SqliteExecutor(string path)
    {
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Pooling = true,
            Mode = SqliteOpenMode.ReadWriteCreate,
            DefaultTimeout = 30,
        }.ToString();
        _writer = new SqliteConnection(_connectionString);
        _writer.Open();
        // WAL lets readers run beside the writer; synchronous=NORMAL keeps every committed
        // transaction across a process kill (the WAL is in the OS cache) at a fraction of FULL's cost.
        Execute(_writer, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; PRAGMA busy_timeout=30000; PRAGMA wal_autocheckpoint=4000; PRAGMA cache_size=-8192; PRAGMA temp_store=MEMORY;");
        // Its own thread (Threading.WriterThread): SQLite's calls are synchronous, so the awaits in
        // CommitGroupAsync complete on it and no pool thread is held for a commit.
        _loop = Threading.WriterThread.Start("keel-sqlite-writer", RunLoop);
    }

    public override SqlDialect Dialect => SqliteDialect.Instance;

    public override async Task<DbConnection> OpenReadConnectionAsync(CancellationToken ct)
    {
        var connection = new SqliteConnection(_connectionString);
        await connection.OpenAsync(ct);
        // Each pooled reader has its own small page cache; mapping the file lets searches read
        // pages without a system call each. Every connection maps separately and each mapping
        // counts in resident memory, so the window is kept small.
        Execute(connection, ReaderPragmas);
        return connection;
    }

    public override async Task<T> WriteAsync<T>(Func<DbConnection, DbTransaction, Task<T>> write, CancellationToken ct)
    {
        var request = new WriteRequest<T>(write);
        if (!_queue.Writer.TryWrite(request))
        {
            throw new ObjectDisposedException(nameof(SqliteExecutor));
        }

        return await request.Completion.Task.WaitAsync(ct);
    }

    private void RunLoop()
    {
        var batch = new List<WriteRequest>(MaxRequestsPerCommit);
        var reader = _queue.Reader;
        while (WaitToRead(reader))
        {
            batch.Clear();
            while (batch.Count < MaxRequestsPerCommit && reader.TryRead(out var request))
            {
                batch.Add(request);
            }

            CommitGroupAsync(batch).GetAwaiter().GetResult();
        }
    }

    /// <summary>Blocks the writer's own thread until a request is queued; false once the queue is completed.</summary>
    private static bool WaitToRead(ChannelReader<WriteRequest> reader)
    {
        var waiting = reader.WaitToReadAsync();
        return waiting.IsCompleted ? waiting.Result : Threading.WriterThread.Block(waiting.AsTask());
    }

    private async Task CommitGroupAsync(List<WriteRequest> batch)
    {
        DbTransaction transaction;
        try
        {
            transaction = await _writer.BeginTransactionAsync();
        }
        catch (Exception e)
        {
            batch.ForEach(r => r.Fail(e));
            return;
        }

        var failures = new Exception?[batch.Count];
        if (batch.Count == 1)
        {
            // Alone in its transaction, a request needs no savepoint: a failure rolls back everything.
            try
            {
                await batch[0].RunAsync(_writer, transaction);
            }
            catch (Exception e)
            {
                await transaction.RollbackAsync();
                await transaction.DisposeAsync();
                batch[0].Fail(e);
                return;
            }
        }
        else
        {
            for (var i = 0; i < batch.Count; i++)
            {
                Execute(_writer, "SAVEPOINT request", transaction);
                try
                {
                    await batch[i].RunAsync(_writer, transaction);
                    Execute(_writer, "RELEASE request", transaction);
                }
                catch (Exception e)
                {
                    failures[i] = e;
                    Execute(_writer, "ROLLBACK TO request; RELEASE request", transaction);
                }
            }
        }

        try
        {
            await transaction.CommitAsync();
        }
        catch (Exception e)
        {
            batch.ForEach(r => r.Fail(e));
            await transaction.DisposeAsync();
            return;
        }

        await transaction.DisposeAsync();
        for (var i = 0; i < batch.Count; i++)
        {
            if (failures[i] is { } failure)
            {
                batch[i].Fail(failure);
            }
            else
            {
                batch[i].Succeed();
            }
        }
    }

    private static void Execute(SqliteConnection connection, string sql, DbTransaction? transaction = null)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Transaction = (SqliteTransaction?)transaction;
        command.ExecuteNonQuery();
    }

    public override async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _loop;
        await _writer.DisposeAsync();
        SqliteConnection.ClearPool(new SqliteConnection(_connectionString));
    }

    private abstract class WriteRequest
    {
        public abstract Task RunAsync(DbConnection connection, DbTransaction transaction);

        public abstract void Succeed();

        public abstract void Fail(Exception exception);
    }

    private sealed class WriteRequest<T>(Func<DbConnection, DbTransaction, Task<T>> write) : WriteRequest
    {
        private T _result = default!;

        public TaskCompletionSource<T> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public override async Task RunAsync(DbConnection connection, DbTransaction transaction) =>
            _result = await write(connection, transaction);

        public override void Succeed() => Completion.TrySetResult(_result);

        public override void Fail(Exception exception) => Completion.TrySetException(exception);
    }
}
