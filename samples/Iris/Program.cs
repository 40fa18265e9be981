using Keel.Client;
using Keel.Core.Errors;
using Keel.Samples.Iris;

if (args.Any(a => a is "-h" or "--help"))
{
    Console.WriteLine(IrisOptions.Usage);
    return 0;
}

IrisOptions options;
try
{
    options = IrisOptions.Parse(args);
}
catch (FormatException ex)
{
    return Fail(ex.Message);
}

using var cancel = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    cancel.Cancel();
};

try
{
    await IrisSample.RunAsync(options, Console.Out, cancel.Token);
    return 0;
}
catch (KeelApiException ex)
{
    return Fail($"{ex.ErrorCode}: {ex.Message}");
}
catch (HttpRequestException ex)
{
    return Fail($"cannot reach the tracking server ({ex.Message}); start one with `./keel server` or pass --tracking-uri.");
}
catch (OperationCanceledException) when (cancel.IsCancellationRequested)
{
    return Fail("cancelled.");
}
catch (Exception ex) when (ex is KeelException or TimeoutException or IOException or FormatException or InvalidOperationException)
{
    return Fail(ex.Message);
}
catch (ArgumentException ex)
{
    // A malformed KEEL_TRACKING_URI: the message names the variable; the parameter name adds nothing.
    return Fail(ex.ParamName is { } name ? ex.Message.Replace($" (Parameter '{name}')", "", StringComparison.Ordinal) : ex.Message);
}

static int Fail(string message)
{
    // One line, whatever the message: scripts read the first line of stderr.
    Console.Error.WriteLine("error: " + message.ReplaceLineEndings(" "));
    return 1;
}
