using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Keel.Client;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace Keel.Cli.Commands;

/// <summary>Where a client command prints: a Spectre table for people, or JSON with <c>--json</c>.</summary>
internal sealed class CliOutput(TextWriter writer, bool json)
{
    // The SDK's records with MLflow's spellings: snake_case names, enum names like "FINISHED",
    // NaN/±Infinity as strings, unset fields omitted (reference §1.3). Times are ISO 8601.
    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseUpper) },
    };

    private IAnsiConsole? _console;

    public bool Json => json;

    public TextWriter Writer => writer;

    public IAnsiConsole Console => _console ??= CreateConsole(writer);

    public async Task WriteJsonAsync<T>(T value, CancellationToken cancellationToken)
    {
        await writer.WriteLineAsync(JsonSerializer.Serialize(value, JsonOptions).AsMemory(), cancellationToken);
        await writer.FlushAsync(cancellationToken);
    }

    public void Write(IRenderable renderable) => Console.Write(renderable);

    public async Task WriteLineAsync(string text, CancellationToken cancellationToken)
    {
        await writer.WriteLineAsync(text.AsMemory(), cancellationToken);
        await writer.FlushAsync(cancellationToken);
    }

    private static IAnsiConsole CreateConsole(TextWriter writer)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(writer),
            Ansi = AnsiSupport.Detect,
            ColorSystem = ColorSystemSupport.Detect,
        });

        // Piped or captured output has no width; Spectre would assume 80 columns and wrap ids and
        // names inside cells, which breaks grep and copy-paste. Tables only take the room they need.
        if (!ReferenceEquals(writer, System.Console.Out) || System.Console.IsOutputRedirected)
        {
            console.Profile.Width = 1000;
        }

        return console;
    }

    public static Table NewTable(params string[] columns)
    {
        var table = new Table().Border(TableBorder.Rounded);
        foreach (var column in columns)
        {
            table.AddColumn(new TableColumn(new Text(column, new Style(decoration: Decoration.Bold))));
        }

        return table;
    }

    /// <summary>Adds a row of plain text (never parsed as Spectre markup: values may contain '[').</summary>
    public static void AddRow(Table table, params string?[] cells) =>
        table.AddRow(cells.Select(c => (IRenderable)new Text(c ?? "")).ToArray());

    public static string Time(DateTimeOffset? time) =>
        time is { } t ? t.ToLocalTime().ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) : "";

    public static string Duration(RunInfo info)
    {
        if (info.StartTime is not { } start || info.EndTime is not { } end)
        {
            return "";
        }

        var span = end - start;
        return span.TotalHours >= 1
            ? span.ToString(@"h\:mm\:ss", CultureInfo.InvariantCulture)
            : span.TotalMinutes >= 1 ? $"{(int)span.TotalMinutes}m {span.Seconds}s" : $"{span.TotalSeconds:0.0}s";
    }

    public static string Number(double value) => value.ToString("G6", CultureInfo.InvariantCulture);

    public static string Bytes(long? size) => size switch
    {
        null => "",
        < 1024 => $"{size} B",
        < 1024 * 1024 => $"{size / 1024.0:0.0} KiB",
        < 1024L * 1024 * 1024 => $"{size / (1024.0 * 1024):0.0} MiB",
        _ => $"{size / (1024.0 * 1024 * 1024):0.0} GiB",
    };

    public static string Status(RunStatus status) => status.ToString().ToUpperInvariant();
}
