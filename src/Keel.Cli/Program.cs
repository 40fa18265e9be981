using System.CommandLine;
using Keel.Cli.Commands;
using Keel.Serving.Predictors;

// `keel predict` replaces itself with a process that compiles each method once (PredictProcess).
PredictProcess.RunWithoutTiering(args);

// Before any thread reads the native environment: ONNX Runtime's telemetry off (OnnxRuntimeEnvironment).
OnnxRuntimeEnvironment.DisableTelemetry();

var root = new RootCommand("Keel: experiment tracking, model registry, serving and monitoring in one platform.");
root.Subcommands.Add(ServerCommand.Create());
root.Subcommands.Add(ServeCommand.Create());
root.Subcommands.Add(PredictCommand.Create());
ClientCommands.AddTo(root);

// On Ctrl+C or SIGTERM the command's token is cancelled and `keel server` drains in-flight requests
// (up to the host's 30 s shutdown timeout); the parser must not end the process before that.
// No response files: "@…" is Keel's version syntax (`keel data diff events@1 @2`), not a file to expand.
return await root.Parse(args, new ParserConfiguration { ResponseFileTokenReplacer = null }).InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = TimeSpan.FromSeconds(35) });
