using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using ThrottleCluster.Benchmarks;

// micro [BenchmarkDotNet args]   grain logic and the full decision, in process, with allocations
// decisions [--engine memory|garnet] [--in-flight N] [--seconds N] [--rate R] [--rate-seconds N]  full decision through a silo's HTTP API
// load  [--seconds N] [--in-flight N] [--http-in-flight N] [--only a,b,...]   throughput harness, JSON on stdout
// (the flood simulator is `throttlectl attack`, in src/Cli)
var verb = args.FirstOrDefault() ?? "";
switch (verb)
{
    case "micro":
        // In-process toolchain: BenchmarkDotNet's generated project would not build under the
        // repository's central package management; a short job keeps a run within minutes on 2 cores.
        var config = DefaultConfig.Instance
            .AddJob(Job.ShortRun.WithToolchain(InProcessEmitToolchain.Instance))
            .AddDiagnoser(MemoryDiagnoser.Default)
            .WithOptions(ConfigOptions.DisableOptimizationsValidator);
        var rest = args.Skip(1).ToArray();
        BenchmarkSwitcher.FromTypes([typeof(GrainLogicBenchmarks), typeof(DecisionBenchmarks)])
            .Run(rest.Length == 0 ? ["--filter", "*"] : rest, config);
        return 0;
    case "load":
        return await LoadHarness.RunAsync(args.Skip(1).ToArray());
    case "decisions":
        return await DecisionLoad.RunAsync(args.Skip(1).ToArray());
    default:
        Console.Error.WriteLine("usage: ThrottleCluster.Benchmarks micro [BenchmarkDotNet args] | load [--seconds N] [--in-flight N] [--http-in-flight N] [--only a,b,...] | decisions [--engine memory|garnet] [--in-flight N] [--rate R] (see BENCHMARKS.md)");
        return 2;
}
