using System.CommandLine;
using Keel.Cli.Commands;

var root = new RootCommand("Keel: experiment tracking, model registry, serving and monitoring in one platform.");
root.Subcommands.Add(ServerCommand.Create());
ClientCommands.AddTo(root);
return await root.Parse(args).InvokeAsync();
