using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using StackExchange.Redis;
using ThrottleCluster.Grains;
using ThrottleCluster.Grains.Abstractions;
using ThrottleCluster.Runtime;
using ThrottleCluster.Runtime.Client;
using ThrottleCluster.Runtime.Storage;
using ThrottleCluster.Runtime.Testing;
using ThrottleCluster.Silo;

namespace ThrottleCluster.Benchmarks;

/// <summary>
/// Throughput harness: plain Stopwatch timing, bounded in operation count and time, every figure a
/// ratio to a baseline measured in the same run. Starts its own Garnet and stops it at the end.
/// </summary>
public static class LoadHarness
{
    private sealed record Options(double Seconds, int InFlight, int HttpInFlight, HashSet<string> Only)
    {
        public TimeSpan Time => TimeSpan.FromSeconds(Seconds);
        public TimeSpan Warmup => TimeSpan.FromSeconds(Math.Max(1, Seconds / 3));
        public bool Runs(string part) => Only.Count == 0 || Only.Contains(part);
    }

    /// <summary>One measurement: operations completed (and failed) within the elapsed time.</summary>
    public sealed record Rate(string Name, long Ok, long Failed, double Seconds, int InFlight)
    {
        public double PerSecond => Ok / Seconds;
        public JsonObject Json() => new()
        {
            ["ok"] = Ok, ["failed"] = Failed, ["seconds"] = Math.Round(Seconds, 3), ["in_flight"] = InFlight,
            ["per_second"] = Math.Round(PerSecond),
        };
    }

    public static async Task<int> RunAsync(string[] args)
    {
        var options = Parse(args);
        var report = new JsonObject
        {
            ["started_utc"] = DateTime.UtcNow.ToString("O", CultureInfo.InvariantCulture),
            ["processors"] = Environment.ProcessorCount,
            ["runtime"] = System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription,
            ["server_gc"] = System.Runtime.GCSettings.IsServerGC,
            ["seconds_per_figure"] = options.Seconds,
            ["load_average_before"] = LoadAverage(),
        };
        Log($"starting Garnet");
        await using var garnet = await GarnetServer.StartAsync();
        report["garnet"] = garnet.ConnectionString;
        using var connection = await ConnectionMultiplexer.ConnectAsync($"{garnet.ConnectionString},syncTimeout=15000");
        var db = connection.GetDatabase();

        Rate? raw = null;
        if (options.Runs("a"))
        {
            raw = await RawEngineAsync(db, options);
            report["a_raw_engine_eval"] = raw.Json();
        }
        if (options.Runs("a"))
        {
            // The same, each reply awaited as RedisGrainStorage awaits it: Task.WaitAsync(timeout).
            var waited = await RawEngineAsync(db, options, waitAsync: true);
            report["a2_raw_engine_eval_with_wait_async"] = WithRatio(waited.Json(), waited, raw, 1.0);
        }
        if (options.Runs("b"))
        {
            var b = await RuntimeOnEngineAsync(connection, options, receipts: false, grains: 20_000);
            var b2 = await RuntimeOnEngineAsync(connection, options, receipts: true, grains: 20_000);
            var b3 = await RuntimeOnEngineAsync(connection, options, receipts: false, grains: 2_000);
            report["b_runtime_on_garnet"] = WithRatio(b.Rate.Json(), b.Rate, raw, 0.5, b.Extra);
            report["b_runtime_on_garnet_with_receipts"] = WithRatio(b2.Rate.Json(), b2.Rate, raw, 0.5, b2.Extra);
            report["b_runtime_on_garnet_2k_grains"] = WithRatio(b3.Rate.Json(), b3.Rate, raw, 0.5, b3.Extra);
        }
        if (options.Runs("r")) report["r_redis7"] = await Redis7Async(options, raw);
        if (options.Runs("c")) report["c_hot_grain"] = await HotGrainAsync(garnet, options);
        if (options.Runs("d")) report["d_embedded_memory"] = await EmbeddedAsync(options);
        if (options.Runs("e")) report["e_bytes_per_grain"] = await BytesPerGrainAsync(garnet, connection);

        report["load_average_after"] = LoadAverage();
        report["finished_utc"] = DateTime.UtcNow.ToString("O", CultureInfo.InvariantCulture);
        Console.WriteLine(report.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        return 0;
    }

    // (a) The ceiling: one single-key script per operation, the shape of the runtime's write
    // (GET the current value, SET the new one with PX), sent as EVALSHA with ~1000 in flight.
    private const string RawScript = """
        local current = redis.call('GET', KEYS[1])
        redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
        return 0
        """;

    private static async Task<Rate> RawEngineAsync(IDatabase db, Options options, bool waitAsync = false)
    {
        var sha = SHA1.HashData(Encoding.UTF8.GetBytes(RawScript));
        await db.ScriptEvaluateAsync(RawScript, [(RedisKey)"raw:{0}"], ["1:init", 3_600_000]); // caches the script
        var value = (RedisValue)Encoding.UTF8.GetBytes("12:0123456789abcdef0123456789"); // ~ a stored grain value
        RedisValue ttl = 3_600_000;
        var keys = Enumerable.Range(0, 100_000).Select(i => (RedisKey)$"raw:{{counter/k{i}}}").ToArray();
        var timeout = TimeSpan.FromMilliseconds(db.Multiplexer.TimeoutMilliseconds);
        Func<long, Task> op = waitAsync
            ? i => db.ScriptEvaluateAsync(sha, [keys[i % keys.Length]], [value, ttl]).WaitAsync(timeout, CancellationToken.None)
            : i => db.ScriptEvaluateAsync(sha, [keys[i % keys.Length]], [value, ttl]);
        var name = waitAsync ? "a2 raw EVALSHA + WaitAsync(timeout)" : "a raw EVALSHA GET+SET PX";
        await MeasureAsync(name + " warmup", options.InFlight, options.Warmup, op);
        return await MeasureAsync(name, options.InFlight, options.Time, op);
    }

    // (b) Grain calls through GrainRuntime on RedisGrainStorage over the same Garnet, many distinct
    // grains, ~1000 in flight. With receipts: every call has a call id, as calls over HTTP do, so
    // each write also records the call's answer beside the state.
    private static async Task<(Rate Rate, JsonObject Extra)> RuntimeOnEngineAsync(ConnectionMultiplexer connection, Options options, bool receipts, int grains, string engine = "Garnet")
    {
        var storage = new RedisGrainStorage(connection, $"b{(receipts ? "r" : "")}{grains}:");
        await using var runtime = new GrainRuntime(new GrainCatalog().Add(BenchGrains.CounterType), storage);
        var ids = Enumerable.Range(0, grains).Select(i => new GrainId(BenchGrains.Counter, $"k{i}")).ToArray();
        Func<long, Task> op = receipts
            ? i => runtime.CallAsync<int, long>(ids[i % ids.Length], 1, $"c{i}", isRetry: false)
            : i => runtime.CallAsync<int, long>(ids[i % ids.Length], 1);
        var name = $"b runtime on {engine}, {grains} grains{(receipts ? ", call ids" : "")}";
        // The warm-up activates (reads) every grain, so the figure is the steady state: one write per turn.
        await MeasureAsync(name + " warmup", options.InFlight, options.Warmup, op, minOps: ids.Length);
        var writesBefore = runtime.Metrics.Writes;
        var rate = await MeasureAsync(name, options.InFlight, options.Time, op);
        var writes = runtime.Metrics.Writes - writesBefore;
        return (rate, new JsonObject
        {
            ["grains"] = ids.Length,
            ["storage_writes"] = writes,
            ["calls_per_write"] = Math.Round((double)rate.Ok / Math.Max(1, writes), 2),
            ["conflicts"] = runtime.Metrics.Conflicts,
        });
    }

    // (r) Redis 7 as the second engine: its own ceiling (a) and the runtime on it (b), each as a
    // ratio to Redis's own ceiling, and its ceiling as a ratio to Garnet's from the same run.
    private static async Task<JsonObject> Redis7Async(Options options, Rate? garnetRaw)
    {
        Log("starting Redis 7");
        await using var redis = await RedisServer.StartAsync();
        using var connection = await ConnectionMultiplexer.ConnectAsync($"{redis.ConnectionString},syncTimeout=15000");
        var raw = await RawEngineAsync(connection.GetDatabase(), options);
        var runtime = await RuntimeOnEngineAsync(connection, options, receipts: false, grains: 20_000, engine: "Redis 7");
        var ceiling = raw.Json();
        if (garnetRaw is not null) ceiling["ratio_to_garnet_raw"] = Math.Round(raw.PerSecond / garnetRaw.PerSecond, 3);
        return new JsonObject
        {
            ["a_raw_engine_eval"] = ceiling,
            ["b_runtime"] = WithRatio(runtime.Rate.Json(), runtime.Rate, raw, 0.5, runtime.Extra),
        };
    }

    // (c) One hot grain through 1 silo and through 3 silos (TestCluster, HTTP, over Garnet), with
    // exact accounting: the stored counter must equal the calls that succeeded.
    private static async Task<JsonObject> HotGrainAsync(GarnetServer garnet, Options options)
    {
        var result = new JsonObject();
        Rate? single = null, singleHot = null;
        foreach (var (silos, mode) in new[] { (1, "uncontended"), (1, "hot"), (3, "hot_spread"), (3, "hot_routed") })
        {
            var prefix = $"c{silos}{mode}:";
            await using var cluster = await TestCluster.StartAsync(new TestClusterOptions
            {
                SiloCount = silos,
                Grains = c => c.Add(BenchGrains.CounterType),
                OpenStorage = () => RedisGrainStorage.Connect($"{garnet.ConnectionString},syncTimeout=15000", prefix),
            });
            // hot_spread: each call goes to the next silo in turn, so every silo writes the same grain
            // and they contend on compare-and-set. hot_routed: the cluster client's own key-affinity
            // routing, which sends a grain to one owner silo.
            var clients = mode == "hot_routed"
                ? [new ClusterClient(cluster.Silos.Select(s => s.Address))]
                : cluster.Silos.Select(s => new ClusterClient([s.Address])).ToArray();
            try
            {
                var hot = new GrainId(BenchGrains.Counter, "hot");
                var distinct = Enumerable.Range(0, 5_000).Select(i => new GrainId(BenchGrains.Counter, $"k{i}")).ToArray();
                long ok = 0;
                Func<long, Task> op = mode == "uncontended"
                    ? async i => { await clients[0].CallAsync<int, long>(distinct[i % distinct.Length], 1); }
                    : async i => { await clients[(int)(i % clients.Length)].CallAsync<int, long>(hot, 1); Interlocked.Increment(ref ok); };
                await MeasureAsync($"c {silos} silo(s) {mode} warmup", options.HttpInFlight, options.Warmup, op, minOps: mode == "uncontended" ? distinct.Length : 0);
                var conflictsBefore = cluster.Silos.Sum(s => s.Runtime.Metrics.Conflicts);
                var writesBefore = cluster.Silos.Sum(s => s.Runtime.Metrics.Writes);
                var rate = await MeasureAsync($"c {silos} silo(s) {mode}", options.HttpInFlight, options.Time, op);
                var entry = rate.Json();
                var writes = cluster.Silos.Sum(s => s.Runtime.Metrics.Writes) - writesBefore;
                entry["silos"] = silos;
                entry["storage_writes"] = writes;
                entry["calls_per_write"] = Math.Round((double)rate.Ok / Math.Max(1, writes), 2);
                entry["conflicts"] = cluster.Silos.Sum(s => s.Runtime.Metrics.Conflicts) - conflictsBefore;
                if (mode != "uncontended")
                {
                    using var check = RedisGrainStorage.Connect(garnet.ConnectionString, prefix);
                    var stored = await check.ReadAsync(hot.ToString());
                    var counter = stored.Exists ? BitConverter.ToInt64(stored.State.Span) : 0;
                    entry["successful_calls"] = ok;
                    entry["stored_counter"] = counter;
                    entry["exact"] = counter == ok;
                }
                if (mode == "uncontended") single = rate;
                else if (silos == 1) singleHot = rate;
                if (silos == 3 && singleHot is not null) entry["ratio_to_single_silo_hot"] = Math.Round(rate.PerSecond / singleHot.PerSecond, 3);
                if (mode != "uncontended" && single is not null)
                {
                    entry["ratio_to_single_silo_uncontended"] = Math.Round(rate.PerSecond / single.PerSecond, 3);
                    if (silos == 3) entry["target_met"] = rate.PerSecond >= 0.5 * single.PerSecond;
                }
                result[$"{silos}_silo_{mode}"] = entry;
            }
            finally
            {
                foreach (var c in clients) c.Dispose();
            }
        }
        return result;
    }

    // (d) Embedded mode: GrainRuntime over MemoryGrainStorage in this process; plus what one call's
    // bare mechanics cost, to show where the time goes.
    private static async Task<JsonObject> EmbeddedAsync(Options options)
    {
        var result = new JsonObject();
        // A fresh runtime per figure: the number of activations a runtime holds is itself a factor.
        foreach (var grains in new[] { 1, 100, 10_000, 100_000 })
        {
            await using var runtime = new GrainRuntime(new GrainCatalog().Add(BenchGrains.CounterType), new MemoryGrainStorage());
            var ids = Enumerable.Range(0, grains).Select(i => new GrainId(BenchGrains.Counter, $"k{i}")).ToArray();
            Func<long, Task> op = i => runtime.CallAsync<int, long>(ids[i % ids.Length], 1);
            await MeasureAsync($"d embedded, {grains} grains warmup", options.InFlight, options.Warmup, op, minOps: ids.Length);
            var writesBefore = runtime.Metrics.Writes;
            var rate = await MeasureAsync($"d embedded, {grains} grains", options.InFlight, options.Time, op);
            var entry = WithTarget(rate.Json(), rate, 1_000_000);
            entry["activations"] = runtime.ActivationCount;
            entry["calls_per_write"] = Math.Round((double)rate.Ok / Math.Max(1, runtime.Metrics.Writes - writesBefore), 2);
            result[$"grains_{grains}"] = entry;
        }

        // Where the time goes: the runtime's per-call mechanics, measured alone, single thread, no awaits.
        result["mechanics_ns_per_op"] = new JsonObject
        {
            ["concurrent_dictionary_count_100k_entries"] = NanosPerOp(CountOf(100_000)),
            ["concurrent_dictionary_count_100_entries"] = NanosPerOp(CountOf(100)),
            ["concurrent_dictionary_lookup_grain_id_100k"] = NanosPerOp(LookupOf(100_000)),
            ["task_completion_source_set_and_read"] = NanosPerOp(() =>
            {
                var tcs = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
                tcs.TrySetResult(1);
                return tcs.Task.Result;
            }),
            ["memory_storage_write_and_read"] = NanosPerOp(MemoryWrite()),
            ["time_provider_get_utc_now"] = NanosPerOp(() => TimeProvider.System.GetUtcNow().Ticks),
        };
        return result;
    }

    private static Func<long> CountOf(int n)
    {
        var d = new ConcurrentDictionary<GrainId, object>();
        for (var i = 0; i < n; i++) d[new GrainId("counter", $"k{i}")] = new object();
        return () => d.Count;
    }

    private static Func<long> LookupOf(int n)
    {
        var d = new ConcurrentDictionary<GrainId, object>();
        var ids = Enumerable.Range(0, n).Select(i => new GrainId("counter", $"k{i}")).ToArray();
        foreach (var id in ids) d[id] = new object();
        var j = 0;
        return () => d.TryGetValue(ids[j++ % n], out var o) ? 1 : 0;
    }

    private static Func<long> MemoryWrite()
    {
        var storage = new MemoryGrainStorage();
        var version = 0L;
        var bytes = new byte[8];
        return () =>
        {
            var outcome = storage.WriteAsync(new StateWrite("counter/k", version, bytes, TimeSpan.FromHours(1), [], [])).Result;
            version = outcome.Current.Version;
            return storage.ReadAsync("counter/k").Result.Version;
        };
    }

    private static double NanosPerOp(Func<long> op)
    {
        long sink = 0;
        for (var i = 0; i < 10_000; i++) sink += op();
        var n = 0;
        var watch = Stopwatch.StartNew();
        while (watch.ElapsedMilliseconds < 300) { for (var i = 0; i < 1000; i++) sink += op(); n += 1000; }
        GC.KeepAlive(sink);
        return Math.Round(watch.Elapsed.TotalMilliseconds * 1e6 / n, 1);
    }

    // (e) Bytes per grain in Garnet: realistic account / ip / network / domain / global grains written
    // through the runtime by real decisions (with call ids, as the silo does), then MEMORY USAGE.
    private static async Task<JsonObject> BytesPerGrainAsync(GarnetServer garnet, ConnectionMultiplexer connection)
    {
        const string prefix = "tc:";
        var storage = new RedisGrainStorage(connection, prefix);
        await using var runtime = new GrainRuntime(new GrainCatalog().AddThrottleGrains(new ThrottlePolicyStore(new ThrottlePolicy())), storage);
        var gate = new ResetGate(new RuntimeCalls(runtime), 0x5EED);
        var now = DateTimeOffset.UtcNow;
        // One IP asking for 5 accounts at gmail.com; then 200 decisions from 200 other IPs (same
        // network), so the global and domain grains hold a busy minute.
        for (var i = 0; i < 5; i++) await gate.DecideAsync(new ResetAttempt($"e{i}", "203.0.113.7", $"alice{i}@gmail.com", "gmail.com"), now);
        for (var i = 0; i < 200; i++) await gate.DecideAsync(new ResetAttempt($"f{i}", $"198.51.{i % 200}.{i % 250 + 1}", $"bob{i}@gmail.com", "gmail.com"), now);
        var grains = new (string Name, GrainId Id)[]
        {
            ("account", new(GrainKinds.Account, ThrottleKeys.Account("alice0@gmail.com"))),
            ("ip", new(GrainKinds.Ip, ThrottleKeys.Ip("203.0.113.7"))),
            ("network", new(GrainKinds.Network, ThrottleKeys.Network("203.0.113.7"))),
            ("domain", new(GrainKinds.Domain, ThrottleKeys.Domain("gmail.com"))),
            ("global", new(GrainKinds.Global, GrainKinds.GlobalKey)),
        };
        var result = new JsonObject();
        await using var resp = await RespClient.ConnectAsync(garnet.Host, garnet.Port);
        foreach (var (name, id) in grains)
        {
            var key = $"{prefix}{{{id}}}";
            var usage = await resp.ExecuteAsync("MEMORY", "USAGE", key);
            var length = await resp.ExecuteAsync("STRLEN", key);
            var snapshot = await runtime.InspectAsync(id);
            result[name] = new JsonObject
            {
                ["key"] = key,
                ["key_bytes"] = Encoding.UTF8.GetByteCount(key),
                ["state_bytes"] = snapshot.StoredBytes,
                ["value_bytes"] = length is long l ? l : -1,
                ["memory_usage"] = usage is long u ? u : -1,
                ["target_met"] = usage is long u2 && u2 <= 200,
            };
        }
        // Receipts: each call id's answer sits beside the state for 2 minutes.
        var receipt = (object?[]?)await resp.ExecuteAsync("KEYS", $"{prefix}{{{grains[0].Id}}}:r:*");
        if (receipt is { Length: > 0 } && receipt[0] is string receiptKey)
        {
            result["receipt_per_call"] = new JsonObject
            {
                ["key"] = receiptKey,
                ["value_bytes"] = await resp.ExecuteAsync("STRLEN", receiptKey) is long rl ? rl : -1,
                ["memory_usage"] = await resp.ExecuteAsync("MEMORY", "USAGE", receiptKey) is long ru ? ru : -1,
                ["ttl_seconds"] = StateWrite.ReceiptTimeToLive.TotalSeconds,
            };
        }
        result["keys_in_engine"] = await resp.ExecuteAsync("DBSIZE") is long n ? n : -1;
        return result;
    }

    /// <summary>The silo's adapter, in short: the gate's grain calls go to the runtime with their call ids.</summary>
    private sealed class RuntimeCalls(GrainRuntime runtime) : IGrainCalls
    {
        public Task<TResult> CallAsync<TCommand, TResult>(string kind, string key, string callId, TCommand command, DateTimeOffset now, CancellationToken ct)
            => runtime.CallAsync<TCommand, TResult>(new GrainId(kind, key), command, callId, isRetry: false);
    }

    private static async Task<Rate> MeasureAsync(string name, int inFlight, TimeSpan time, Func<long, Task> op, long maxOps = 50_000_000, long minOps = 0)
    {
        long issued = -1, ok = 0, failed = 0;
        Exception? firstError = null;
        var watch = Stopwatch.StartNew();
        var deadline = time;
        async Task Worker()
        {
            await Task.Yield();
            while (true)
            {
                var i = Interlocked.Increment(ref issued);
                if (i >= maxOps || (watch.Elapsed >= deadline && i >= minOps)) return;
                try
                {
                    await op(i);
                    Interlocked.Increment(ref ok);
                }
                catch (Exception e)
                {
                    Interlocked.Increment(ref failed);
                    Interlocked.CompareExchange(ref firstError, e, null);
                }
            }
        }
        await Task.WhenAll(Enumerable.Range(0, inFlight).Select(_ => Worker()));
        var rate = new Rate(name, ok, failed, watch.Elapsed.TotalSeconds, inFlight);
        Log($"{name}: {rate.PerSecond:N0}/s ({ok:N0} ok, {failed:N0} failed, {rate.Seconds:F1} s){(firstError is null ? "" : $" first error: {firstError.GetType().Name}: {firstError.Message}")}");
        return rate;
    }

    private static JsonObject WithRatio(JsonObject json, Rate rate, Rate? baseline, double target, JsonObject? extra = null)
    {
        if (baseline is not null)
        {
            json["baseline_per_second"] = Math.Round(baseline.PerSecond);
            json["ratio_to_raw_engine"] = Math.Round(rate.PerSecond / baseline.PerSecond, 3);
            json["target_ratio"] = target;
            json["target_met"] = rate.PerSecond >= target * baseline.PerSecond;
        }
        if (extra is not null) foreach (var (k, v) in extra) json[k] = v?.DeepClone();
        return json;
    }

    private static JsonObject WithTarget(JsonObject json, Rate rate, double target)
    {
        json["target_per_second"] = target;
        json["ratio_to_target"] = Math.Round(rate.PerSecond / target, 3);
        json["target_met"] = rate.PerSecond >= target;
        return json;
    }

    private static string LoadAverage() => File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Trim() : "";

    private static void Log(string message) => Console.Error.WriteLine($"[{DateTime.UtcNow:HH:mm:ss}] {message}");

    private static Options Parse(string[] args)
    {
        double seconds = 5;
        int inFlight = 1000, httpInFlight = 200;
        var only = new HashSet<string>();
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--seconds": seconds = double.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--in-flight": inFlight = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--http-in-flight": httpInFlight = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--only": only = args[++i].Split(',').ToHashSet(); break;
                default: throw new ArgumentException($"Unknown option '{args[i]}'.");
            }
        }
        return new Options(seconds, inFlight, httpInFlight, only);
    }
}
