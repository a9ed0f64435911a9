using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using ThrottleCluster.Benchmarks;

const string Usage = """
    usage: ThrottleCluster.Benchmarks VERB [options]   (see BENCHMARKS.md)
      micro [BenchmarkDotNet args]       grain logic, in process, with allocations
      load [--seconds 5] [--in-flight 1000] [--only raw,calls,write-through,hot,embedded] [--out FILE]
      decisions [--engine garnet|memory] [--in-flight 256] [--seconds 15] [--rate 2000] [--rate-seconds 20] [--out FILE]
      flood-memory [--engine memory|garnet] [--policy open|default] [--accounts 1000000] [--sources 10000]
                   [--domains 100] [--in-flight 500] [--collection-age 00:00:30] [--after-seconds S] [--out FILE]
      mail [--emails 2000] [--rounds 3] [--connections 2] [--concurrency 4] [--out FILE]
    (the flood simulator against the Api is `throttlectl attack`, in src/Cli)
    """;

var verb = args.FirstOrDefault() ?? "";
var rest = args.Skip(1).ToArray();
switch (verb)
{
    case "micro":
        // In-process toolchain: BenchmarkDotNet's generated project would not build under the
        // repository's central package management; a short job keeps a run within minutes on 2 cores.
        var config = DefaultConfig.Instance
            .AddJob(Job.ShortRun.WithToolchain(InProcessEmitToolchain.Instance))
            .AddDiagnoser(MemoryDiagnoser.Default)
            .WithOptions(ConfigOptions.DisableOptimizationsValidator);
        BenchmarkSwitcher.FromTypes([typeof(GrainLogicBenchmarks)]).Run(rest.Length == 0 ? ["--filter", "*"] : rest, config);
        return 0;
    case "load":
        return await LoadHarness.RunAsync(rest);
    case "decisions":
        return await DecisionLoad.RunAsync(rest);
    case "flood-memory":
        return await FloodMemory.RunAsync(rest);
    case "mail":
        return await MailThroughput.RunAsync(rest);
    default:
        Console.Error.WriteLine(Usage);
        return 2;
}
