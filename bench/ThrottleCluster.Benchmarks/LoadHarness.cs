using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json.Nodes;
using StackExchange.Redis;
using ThrottleCluster.Grains;
using ThrottleCluster.Grains.Abstractions;
using ThrottleCluster.Tests.Support;

namespace ThrottleCluster.Benchmarks;

/// <summary>
/// `load`: throughput on Orleans, each figure a ratio to baselines measured in the same run. Starts
/// its own Garnet (and stops it at the end) and real silo hosts in this process:
/// <list type="bullet">
/// <item>raw: a StackExchange.Redis SET loop, and the raw EVAL of <c>RedisStateStorage</c>'s compare-and-set;</item>
/// <item>calls: Orleans grain calls in one silo, no storage, 10,000 grains and one hot grain;</item>
/// <item>write-through: ip grain calls over 10,000 grains on Garnet (Cluster:Provider=Redis), one write each;</item>
/// <item>hot: one hot ip grain through group commit: calls per write, and the stored count against the calls;</item>
/// <item>embedded: full reset decisions by <see cref="ResetGate"/> on an embedded silo (memory storage) in this process.</item>
/// </list>
/// </summary>
public static class LoadHarness
{
    private static readonly string[] Parts = ["raw", "calls", "write-through", "hot", "embedded"];

    private sealed record Options(double Seconds, int InFlight, HashSet<string> Only, string? Out)
    {
        public TimeSpan Time => TimeSpan.FromSeconds(Seconds);
        public TimeSpan Warmup => TimeSpan.FromSeconds(Math.Max(1, Seconds / 3));
        public bool Runs(string part) => Only.Count == 0 || Only.Contains(part);
    }

    public static async Task<int> RunAsync(string[] args)
    {
        var options = Parse(args);
        var report = BenchReport.Start("load");
        report["seconds_per_figure"] = options.Seconds;
        report["in_flight"] = options.InFlight;
        BenchReport.Log("starting Garnet");
        await using var garnet = await GarnetServer.StartAsync();
        report["garnet"] = $"Garnet 2.2.8 at {garnet.ConnectionString}, pid {garnet.ProcessId}, --lua --lua-transaction-mode -m 256m -i 16m";
        using var connection = await ConnectionMultiplexer.ConnectAsync($"{garnet.ConnectionString},syncTimeout=15000");
        var db = connection.GetDatabase();

        Rate? set = null, cas = null, calls = null;
        if (options.Runs("raw"))
        {
            await RawEngine.SetAsync(db, "raw SET warm-up", options.InFlight, options.Warmup);
            set = await RawEngine.SetAsync(db, "raw SET, 10,000 keys", options.InFlight, options.Time);
            await RawEngine.CompareAndSetAsync(db, "raw EVAL compare-and-set warm-up", options.InFlight, options.Warmup);
            var (rate, conflicts) = await RawEngine.CompareAndSetAsync(db, "raw EVAL compare-and-set, 10,000 keys", options.InFlight, options.Time);
            cas = rate;
            report["raw_set"] = set.Json();
            var json = cas.Json(("raw_set", set));
            json["etag_mismatches"] = conflicts;
            report["raw_eval_compare_and_set"] = json;
        }

        if (options.Runs("calls") || options.Runs("write-through") || options.Runs("hot"))
        {
            BenchReport.Log("starting a silo on Garnet (Cluster:Provider=Redis)");
            await using var silo = await BenchSilo.StartAsync(BenchPolicy.Open.Concat(new Dictionary<string, string>
            {
                ["Cluster:Provider"] = "Redis",
                ["Cluster:Redis"] = $"{garnet.ConnectionString},syncTimeout=15000",
                ["Cluster:RedisKeyPrefix"] = "bench:",
            }));
            if (options.Runs("calls"))
            {
                calls = await CallsAsync(silo, options, grains: 10_000);
                report["grain_calls_no_storage_10k_grains"] = calls.Json(("raw_set", set));
                report["grain_calls_no_storage_hot_grain"] = (await CallsAsync(silo, options, grains: 1)).Json(("raw_set", set), ("calls_10k_grains", calls));
            }
            if (options.Runs("write-through")) report["write_through_10k_ip_grains_garnet"] = await WriteThroughAsync(silo, options, set, cas, calls);
            if (options.Runs("hot")) report["group_commit_hot_ip_grain_garnet"] = await HotGrainAsync(silo, db, options, set, cas);
        }

        if (options.Runs("embedded")) report["embedded_decisions_memory"] = await EmbeddedAsync(options, set, calls);

        if (set is not null && cas is not null && Parts.Skip(1).Any(options.Runs))
        {
            // The baselines again, after the figures: a neighbour's burst during either baseline
            // shows as a spread, and every ratio is also given to the mean of both.
            var setAfter = await RawEngine.SetAsync(db, "raw SET, 10,000 keys, after the figures", options.InFlight, options.Time);
            var (casAfter, _) = await RawEngine.CompareAndSetAsync(db, "raw EVAL compare-and-set, 10,000 keys, after the figures", options.InFlight, options.Time);
            report["raw_set_after"] = setAfter.Json(("raw_set", set));
            report["raw_eval_compare_and_set_after"] = casAfter.Json(("raw_eval", cas));
            Bracket(report, "raw_set", set, setAfter);
            Bracket(report, "raw_eval", cas, casAfter);
        }

        await BenchReport.WriteAsync(report, "load", options.Out);
        return 0;
    }

    // Every figure with a ratio to the baseline measured before it gets the ratio to the same baseline
    // measured after it, and to their mean.
    private static void Bracket(JsonObject report, string baseline, Rate before, Rate after)
    {
        foreach (var (name, node) in report.ToList())
        {
            if (name.EndsWith("_after", StringComparison.Ordinal) || node is not JsonObject figure || !figure.ContainsKey($"ratio_to_{baseline}")) continue;
            var perSecond = figure["per_second"]!.GetValue<double>();
            figure[$"ratio_to_{baseline}_after"] = BenchReport.Round(perSecond / after.PerSecond);
            figure[$"ratio_to_{baseline}_mean"] = BenchReport.Round(perSecond / ((before.PerSecond + after.PerSecond) / 2));
        }
    }

    private static async Task<Rate> CallsAsync(BenchSilo silo, Options options, int grains)
    {
        var counters = Enumerable.Range(0, grains).Select(i => silo.Grains.GetGrain<ICounterGrain>(i + grains * 1_000_000L)).ToArray();
        Func<long, Task> op = i => counters[i % grains].Add(1);
        var name = grains == 1 ? "grain calls, no storage, one hot grain" : $"grain calls, no storage, {grains:N0} grains";
        await ClosedLoop.MeasureAsync(name + " warm-up", options.InFlight, options.Warmup, op, minOps: grains);
        return await ClosedLoop.MeasureAsync(name, options.InFlight, options.Time, op);
    }

    // Each call is a granted ip reserve, so each changes the state and the grain writes it before
    // answering. With 10,000 grains and 1,000 in flight a grain rarely has a second call waiting,
    // so group commit has nothing to batch: one write per call.
    private static async Task<JsonObject> WriteThroughAsync(BenchSilo silo, Options options, Rate? set, Rate? cas, Rate? calls)
    {
        var ips = Enumerable.Range(0, 10_000).Select(i => silo.Grains.GetGrain<IIpGrain>(ThrottleKeys.Ip($"10.1.{i / 250}.{i % 250 + 1}"))).ToArray();
        Func<long, Task> op = i => ips[i % ips.Length].Reserve(0);
        const string name = "write-through ip grain calls, 10,000 grains, Garnet";
        // The warm-up activates every grain, each reading Garnet: the silo's first use of its storage.
        var warmUp = await ClosedLoop.MeasureAsync(name + " warm-up", options.InFlight, options.Warmup, op, minOps: ips.Length);
        var (writes, conflicts) = (silo.Storage.Writes, silo.Storage.Conflicts);
        var rate = await ClosedLoop.MeasureAsync(name, options.InFlight, options.Time, op);
        var json = rate.Json(("raw_set", set), ("raw_eval", cas), ("calls_10k_grains_no_storage", calls));
        json["storage_writes"] = silo.Storage.Writes - writes;
        json["calls_per_write"] = BenchReport.Round((double)rate.Ok / Math.Max(1, silo.Storage.Writes - writes), 2);
        json["etag_conflicts"] = silo.Storage.Conflicts - conflicts;
        json["warm_up"] = new JsonObject { ["ok"] = warmUp.Ok, ["failed"] = warmUp.Failed, ["seconds"] = BenchReport.Round(warmUp.Seconds) };
        return json;
    }

    // Exactness: the measured grain is a fresh one (the warm-up used another), so its stored daily
    // count, read straight from Garnet and decoded, must equal the calls that succeeded.
    private static async Task<JsonObject> HotGrainAsync(BenchSilo silo, IDatabase db, Options options, Rate? set, Rate? cas)
    {
        var warm = silo.Grains.GetGrain<IIpGrain>(ThrottleKeys.Ip("198.51.100.7"));
        await ClosedLoop.MeasureAsync("group commit, one hot ip grain warm-up", options.InFlight, options.Warmup, _ => warm.Reserve(0));
        var hot = silo.Grains.GetGrain<IIpGrain>(ThrottleKeys.Ip("198.51.100.77"));
        var (writes, conflicts) = (silo.Storage.Writes, silo.Storage.Conflicts);
        var rate = await ClosedLoop.MeasureAsync("group commit, one hot ip grain, Garnet", options.InFlight, options.Time, _ => hot.Reserve(0));
        var written = silo.Storage.Writes - writes;
        var stored = await StoredDailyCountAsync(db, "bench:" + hot.GetGrainId());
        var inspected = await hot.Inspect(); // a fresh read by the grain itself
        var json = rate.Json(("raw_set", set), ("raw_eval", cas));
        json["storage_writes"] = written;
        json["calls_per_write"] = BenchReport.Round((double)rate.Ok / Math.Max(1, written), 1);
        json["etag_conflicts"] = silo.Storage.Conflicts - conflicts;
        json["successful_calls"] = rate.Ok;
        json["stored_count_in_garnet"] = stored;
        json["exact"] = stored == rate.Ok;
        json["stored_bytes"] = inspected.StoredBytes;
        return json;
    }

    private static async Task<long> StoredDailyCountAsync(IDatabase db, string key)
    {
        var value = (byte[]?)await db.StringGetAsync(key) ?? throw new InvalidOperationException($"{key} is not in Garnet.");
        var state = SourceLogic.Deserialize(value.AsMemory(16)); // after the 16-character ETag
        return state.Day.Previous + state.Day.Current;
    }

    private static async Task<JsonObject> EmbeddedAsync(Options options, Rate? set, Rate? calls)
    {
        BenchReport.Log("starting an embedded silo (Cluster:Provider=Localhost, memory storage)");
        await using var silo = await BenchSilo.StartAsync(BenchPolicy.Open);
        var gate = new ResetGate(silo.Grains, new GrainKeys(Convert.ToUInt64(BenchPolicy.AccountHashSecret, 16)));
        var verdicts = new ConcurrentDictionary<Verdict, long>();
        long sequence = 0;
        async Task Decide(long _)
        {
            var decision = await gate.DecideAsync(DecisionStream.Attempt("e", Interlocked.Increment(ref sequence)));
            verdicts.AddOrUpdate(decision.Verdict, 1, (_, n) => n + 1);
        }
        await ClosedLoop.MeasureAsync("embedded decisions warm-up", options.InFlight, options.Warmup, Decide, minOps: 2 * DecisionStream.Sources);
        verdicts.Clear();
        var writes = silo.Storage.Writes;
        var rate = await ClosedLoop.MeasureAsync("embedded decisions (ResetGate on the silo's grains, memory storage)", options.InFlight, options.Time, Decide);
        var json = rate.Json(("raw_set", set), ("calls_10k_grains_no_storage", calls));
        json["verdicts"] = new JsonObject(verdicts.Select(kv => KeyValuePair.Create(kv.Key.ToString(), (JsonNode?)kv.Value)));
        json["storage_writes_per_decision"] = BenchReport.Round((double)(silo.Storage.Writes - writes) / Math.Max(1, rate.Ok), 2);
        return json;
    }

    private static Options Parse(string[] args)
    {
        double seconds = 5;
        var inFlight = 1000;
        var only = new HashSet<string>();
        string? output = null;
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--seconds": seconds = double.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--in-flight": inFlight = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--only":
                    only = args[++i].Split(',').ToHashSet();
                    if (only.Except(Parts).FirstOrDefault() is { } unknown) throw new ArgumentException($"--only takes {string.Join(',', Parts)} (not '{unknown}').");
                    break;
                case "--out": output = args[++i]; break;
                default: throw new ArgumentException($"Unknown option '{args[i]}'.");
            }
        }
        return new Options(seconds, inFlight, only, output);
    }
}
