using BenchmarkDotNet.Running;

BenchmarkSwitcher.FromAssembly(typeof(Keel.Benchmarks.LogBatchBenchmarks).Assembly).Run(args);
