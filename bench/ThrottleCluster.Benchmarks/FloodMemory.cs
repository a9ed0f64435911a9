using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Runtime;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using StackExchange.Redis;
using ThrottleCluster.Grains;
using ThrottleCluster.Grains.Abstractions;
using ThrottleCluster.Hosting.Storage;
using ThrottleCluster.Tests.Support;

namespace ThrottleCluster.Benchmarks;

/// <summary>
/// `flood-memory`: what a flood of one request per account, from rotating sources, leaves in a silo.
/// One silo in this process (embedded memory storage, or Garnet with --engine garnet); N reset
/// decisions for N distinct accounts, from S sources (each its own /24) over D domains, through
/// <see cref="ResetGate"/>. Every second, during the flood and for a while after it (past the account
/// grains' collection age): the managed heap, the working set and the activations by grain type;
/// then the heap after a forced full collection, i.e. what is really still referenced. --after-seconds
/// waits longer than the collection age, e.g. past the grain directory cache's entry lifetime.
/// </summary>
public static class FloodMemory
{
    public static async Task<int> RunAsync(string[] args)
    {
        string engine = "memory", policy = "open"; long accounts = 1_000_000; int sources = 10_000, domains = 100, inFlight = 500;
        var collectionAge = TimeSpan.FromSeconds(30);
        TimeSpan? after = null;
        string? output = null;
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--engine": engine = args[++i] is "memory" or "garnet" ? args[i] : throw new ArgumentException($"--engine must be memory or garnet (was '{args[i]}')."); break;
                case "--policy": policy = args[++i] is "open" or "default" ? args[i] : throw new ArgumentException($"--policy must be open or default (was '{args[i]}')."); break;
                case "--accounts": accounts = long.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--sources": sources = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--domains": domains = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--in-flight": inFlight = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--collection-age": collectionAge = TimeSpan.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--after-seconds": after = TimeSpan.FromSeconds(double.Parse(args[++i], CultureInfo.InvariantCulture)); break;
                case "--out": output = args[++i]; break;
                default: throw new ArgumentException($"Unknown option '{args[i]}'.");
            }
        }
        if (sources > 65_536) throw new ArgumentException("--sources is at most 65,536 (each source is its own /24 of 10.0.0.0/8).");
        // Orleans collects an idle activation at the first collection quantum past its age; the
        // product's quantum is half the account age (at most 30 s): two ages are past both.
        var collectionWait = 2 * collectionAge + TimeSpan.FromSeconds(15);
        if (after < collectionWait) throw new ArgumentException($"--after-seconds must be at least {collectionWait.TotalSeconds} (twice the collection age, and 15 s).");
        after ??= collectionWait;

        var report = BenchReport.Start("flood-memory");
        await using var garnet = engine == "garnet" ? await GarnetServer.StartAsync() : null;
        var configuration = new Dictionary<string, string>
        {
            ["Cluster:AccountCollectionAge"] = collectionAge.ToString("c", CultureInfo.InvariantCulture),
            ["Throttle:AccountHashSecret"] = BenchPolicy.AccountHashSecret,
        };
        if (policy == "open") foreach (var (key, value) in BenchPolicy.Open) configuration[key] = value;
        if (garnet is not null)
        {
            configuration["Cluster:Provider"] = "Redis";
            configuration["Cluster:Redis"] = $"{garnet.ConnectionString},syncTimeout=15000";
        }
        report["flood"] = new JsonObject
        {
            ["decisions"] = accounts,
            ["distinct_accounts"] = accounts,
            ["sources"] = $"{sources:N0} IPs, each in its own /24, in turn",
            ["domains"] = domains,
            ["in_flight"] = inFlight,
            ["policy"] = policy == "open" ? "BenchPolicy.Open: source rules in shadow mode, domain and global budgets raised, so every decision reaches its account grain" : "the product's default policy",
            ["storage"] = garnet is null ? "Cluster:Provider=Localhost: the silo's memory storage (MemoryStateStore, in this process)" : $"Cluster:Provider=Redis: Garnet 2.2.8 at {garnet.ConnectionString}, pid {garnet.ProcessId}",
            ["account_collection_age_s"] = collectionAge.TotalSeconds,
            ["other_grains_collection_age_s"] = 900,
            ["host"] = "one silo in the harness's own process: its heap and working set include the load loop's (small, transient) share",
            ["gc"] = GCSettings.IsServerGC ? "server" : "workstation, concurrent",
        };

        BenchReport.Log($"starting a silo ({engine} storage, account collection age {collectionAge})");
        using var meters = new OrleansMeters();
        await using var silo = await BenchSilo.StartAsync(configuration);
        var gate = new ResetGate(silo.Grains, new GrainKeys(Convert.ToUInt64(BenchPolicy.AccountHashSecret, 16)));
        var clock = Stopwatch.StartNew();
        long decided = 0;

        FullCollection();
        var baseline = await SiloMemorySample.TakeAsync(silo.Grains, meters, 0, 0);
        report["baseline_after_start"] = baseline.Json();
        BenchReport.Log($"baseline: heap {SiloMemorySample.Mb(baseline.TotalMemory)} MB, working set {SiloMemorySample.Mb(baseline.WorkingSet)} MB, {baseline.CatalogActivations} activations");

        var samples = new List<SiloMemorySample>();
        using var stopSampling = new CancellationTokenSource();
        var sampling = SampleEverySecondAsync(silo, meters, clock, () => Interlocked.Read(ref decided), samples, stopSampling.Token);

        var verdicts = new ConcurrentDictionary<Verdict, long>();
        async Task Decide(long i)
        {
            var j = (int)(i % sources);
            var login = $"victim{i}@d{i % domains}.example";
            var decision = await gate.DecideAsync(new ResetAttempt($"f{i}", $"10.{j >> 8}.{j & 255}.7", login, login[(login.IndexOf('@') + 1)..]));
            verdicts.AddOrUpdate(decision.Verdict, 1, (_, n) => n + 1);
            Interlocked.Increment(ref decided);
        }
        var flood = await ClosedLoop.MeasureAsync($"flood, {accounts:N0} accounts from {sources:N0} sources", inFlight, TimeSpan.MaxValue, Decide, maxOps: accounts);
        var floodEnded = clock.Elapsed.TotalSeconds;
        var atEnd = await SiloMemorySample.TakeAsync(silo.Grains, meters, floodEnded, Interlocked.Read(ref decided));
        BenchReport.Log($"flood done: heap {SiloMemorySample.Mb(atEnd.TotalMemory)} MB, working set {SiloMemorySample.Mb(atEnd.WorkingSet)} MB, {atEnd.CatalogActivations} activations ({atEnd.CatalogAccounts} account); waiting {after.Value.TotalSeconds} s");
        await Task.Delay(collectionWait);
        var afterCollection = await SiloMemorySample.TakeAsync(silo.Grains, meters, clock.Elapsed.TotalSeconds, decided);
        BenchReport.Log($"past the collection age: {afterCollection.CatalogActivations} activations ({afterCollection.CatalogAccounts} account), heap {SiloMemorySample.Mb(afterCollection.TotalMemory)} MB");
        await Task.Delay(after.Value - collectionWait);
        stopSampling.Cancel();
        await sampling;
        var afterWait = await SiloMemorySample.TakeAsync(silo.Grains, meters, clock.Elapsed.TotalSeconds, decided);
        FullCollection();
        var afterFullGc = await SiloMemorySample.TakeAsync(silo.Grains, meters, clock.Elapsed.TotalSeconds, decided);
        BenchReport.Log($"{after.Value.TotalSeconds} s after the flood: {afterWait.CatalogActivations} activations, heap {SiloMemorySample.Mb(afterWait.TotalMemory)} MB; after a full GC {SiloMemorySample.Mb(afterFullGc.TotalMemory)} MB");

        var during = samples.Where(s => s.Seconds <= floodEnded).Append(atEnd).ToList();
        var json = flood.Json();
        json["verdicts"] = new JsonObject(verdicts.OrderBy(kv => kv.Key).Select(kv => KeyValuePair.Create(kv.Key.ToString(), (JsonNode?)kv.Value)));
        json["account_grain_activations_peak"] = during.Max(s => s.Accounts);
        json["samples_without_management_answer"] = samples.Count(s => s.Accounts is null);
        json["account_grain_activations_peak_catalog_gauge"] = during.Max(s => s.CatalogAccounts);
        json["catalog_activations_peak"] = during.Max(s => s.CatalogActivations);
        json["managed_heap_mb_peak"] = SiloMemorySample.Mb(during.Max(s => s.TotalMemory));
        json["working_set_mb_peak"] = SiloMemorySample.Mb(during.Max(s => s.WorkingSet));
        json["directory_cache_entries_peak"] = during.Max(s => s.Directory.GetValueOrDefault("orleans-directory-cache-size"));
        json["at_end"] = atEnd.Json();
        report["during_flood"] = json;
        report["after_collection_age"] = afterCollection.Json();
        report["after_wait"] = afterWait.Json();
        report["after_forced_full_gc"] = afterFullGc.Json();
        report["retained_mb_over_baseline_after_full_gc"] = SiloMemorySample.Mb(afterFullGc.TotalMemory - baseline.TotalMemory);
        report["retained_bytes_per_account_after_full_gc"] = Math.Round((double)(afterFullGc.TotalMemory - baseline.TotalMemory) / accounts);
        report["orleans_catalog_counters"] = new JsonObject(meters.Totals.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)kv.Value)));
        report["store"] = await StoreAsync(silo, garnet);
        report["samples"] = new JsonArray(samples.Select(s => (JsonNode)s.Json()).ToArray());
        await BenchReport.WriteAsync(report, $"flood-memory-{engine}-{policy}", output);
        return 0;
    }

    private static async Task SampleEverySecondAsync(BenchSilo silo, OrleansMeters meters, Stopwatch clock, Func<long> decided, List<SiloMemorySample> samples, CancellationToken stop)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
        try
        {
            while (await timer.WaitForNextTickAsync(stop))
            {
                var sample = await SiloMemorySample.TakeAsync(silo.Grains, meters, clock.Elapsed.TotalSeconds, decided());
                samples.Add(sample);
                if (samples.Count % 10 == 0)
                    BenchReport.Log($"t={sample.Seconds:F0}s decisions {sample.Decisions:N0}, heap {SiloMemorySample.Mb(sample.TotalMemory)} MB, working set {SiloMemorySample.Mb(sample.WorkingSet)} MB, activations {sample.CatalogActivations:N0} (account {sample.CatalogAccounts:N0}), directory cache {sample.Directory.GetValueOrDefault("orleans-directory-cache-size"):N0}");
            }
        }
        catch (OperationCanceledException)
        {
            // the flood and the wait after it are over
        }
    }

    private static async Task<JsonObject> StoreAsync(BenchSilo silo, GarnetServer? garnet)
    {
        if (garnet is null)
            return new JsonObject { ["memory_state_store_entries"] = silo.Services.GetRequiredService<MemoryStateStore>().Count };
        using var connection = await ConnectionMultiplexer.ConnectAsync(garnet.ConnectionString);
        return new JsonObject { ["garnet_keys"] = await connection.GetServers()[0].DatabaseSizeAsync() };
    }

    private static void FullCollection()
    {
        GCSettings.LargeObjectHeapCompactionMode = GCLargeObjectHeapCompactionMode.CompactOnce;
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
    }
}
