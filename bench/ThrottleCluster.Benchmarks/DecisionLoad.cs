using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using StackExchange.Redis;
using ThrottleCluster.Tests.Support;

namespace ThrottleCluster.Benchmarks;

/// <summary>
/// `decisions`: the full reset decision through the silo's HTTP API (<c>POST /v1/decisions</c>) of a
/// real src/Silo process, on a Garnet of its own (Cluster:Provider=Redis; --engine memory: the silo's
/// embedded memory storage), with <see cref="BenchPolicy.Open"/> so every decision takes the whole
/// granted path. Measures (1) throughput with many in flight, closed loop, and (2) latency at a fixed
/// offered rate, open loop: each request is due at its slot and its latency counts from that slot,
/// so a stalled generator cannot hide queueing. Beside each: the silo's GC pauses (from the process
/// probe) and both processes' CPU time.
/// </summary>
public static class DecisionLoad
{
    public static async Task<int> RunAsync(string[] args)
    {
        var dll = "src/Silo/bin/Release/net10.0/ThrottleCluster.Silo.dll";
        string engine = "garnet"; int inFlight = 256; double seconds = 15, rate = 2000, rateSeconds = 20, warmupSeconds = 20; string? output = null;
        long[] populations = [0];
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--engine": engine = args[++i] is "memory" or "garnet" ? args[i] : throw new ArgumentException($"--engine must be memory or garnet (was '{args[i]}')."); break;
                case "--silo-dll": dll = args[++i]; break;
                case "--in-flight": inFlight = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--seconds": seconds = double.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--rate": rate = double.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--warmup-seconds": warmupSeconds = double.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--rate-seconds": rateSeconds = double.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--accounts": populations = args[++i].Split(',').Select(a => long.Parse(a, CultureInfo.InvariantCulture)).ToArray(); break;
                case "--out": output = args[++i]; break;
                default: throw new ArgumentException($"Unknown option '{args[i]}'.");
            }
        }
        var report = BenchReport.Start("decisions");
        if (populations is [var only])
        {
            await RunPopulationAsync(report, dll, engine, inFlight, seconds, rate, rateSeconds, warmupSeconds, only);
        }
        else
        {
            // One fresh engine and silo per population, one after another in this run, so the figures compare.
            var runs = new JsonObject();
            foreach (var accounts in populations)
            {
                var run = new JsonObject();
                await RunPopulationAsync(run, dll, engine, inFlight, seconds, rate, rateSeconds, warmupSeconds, accounts);
                runs[accounts.ToString(CultureInfo.InvariantCulture)] = run;
            }
            report["populations"] = runs;
        }
        await BenchReport.WriteAsync(report, $"decisions-{engine}", output);
        return 0;
    }

    /// <summary>
    /// One silo (and engine) from start to stop. <paramref name="accounts"/>: the accounts' population
    /// (0: a new account every decision).
    /// </summary>
    private static async Task RunPopulationAsync(JsonObject report, string dll, string engine, int inFlight, double seconds, double rate, double rateSeconds, double warmupSeconds, long accounts)
    {
        report["accounts"] = accounts == 0 ? "a new account every decision" : $"drawn from {accounts:N0}";
        report["warmup_seconds"] = warmupSeconds;
        await using var garnet = engine == "garnet" ? await GarnetServer.StartAsync() : null;
        var url = $"http://127.0.0.1:{LoopbackPort.Free()}";
        var configuration = new Dictionary<string, string>(BenchPolicy.Open)
        {
            ["Cluster:SiloPort"] = LoopbackPort.Free().ToString(CultureInfo.InvariantCulture),
            ["Cluster:GatewayPort"] = LoopbackPort.Free().ToString(CultureInfo.InvariantCulture),
        };
        if (garnet is not null)
        {
            configuration["Cluster:Provider"] = "Redis";
            configuration["Cluster:Redis"] = garnet.ConnectionString;
        }
        report["silo"] = $"{dll} at {url}, {(garnet is null ? "Cluster:Provider=Localhost (memory storage)" : $"Cluster:Provider=Redis on Garnet 2.2.8 {garnet.ConnectionString} (-m 256m)")}, BenchPolicy.Open";
        using var silo = SiloProcess.Start(dll, url, configuration);
        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = Math.Max(inFlight, 512), UseProxy = false })
        { BaseAddress = new Uri(url), Timeout = TimeSpan.FromSeconds(30) };
        await WaitHealthyAsync(http, silo);
        long sequence = 0;

        async Task<(bool Ok, string Verdict)> Decide()
        {
            var (ip, login) = DecisionStream.Next(Interlocked.Increment(ref sequence), accounts);
            using var content = new ByteArrayContent(Encoding.UTF8.GetBytes($"{{\"clientIp\":\"{ip}\",\"login\":\"{login}\"}}"));
            content.Headers.ContentType = new("application/json");
            try
            {
                using var response = await http.PostAsync("/v1/decisions", content);
                if (response.StatusCode != HttpStatusCode.OK) return (false, ((int)response.StatusCode).ToString(CultureInfo.InvariantCulture));
                var body = await response.Content.ReadAsStringAsync();
                var verdict = body.Contains("\"Send\"", StringComparison.Ordinal) ? "Send" : body.Contains("\"Suppress\"", StringComparison.Ordinal) ? "Suppress" : "other";
                return (true, verdict);
            }
            catch (Exception ex)
            {
                return (false, ex.GetType().Name);
            }
        }

        // The JIT's tiering goes on for about 30 s after start-up (perf: libclrjit 12.7 % of the silo's
        // CPU 10-25 s in, under 1 % after 30 s); the figures are of the silo it leaves.
        BenchReport.Log($"warm-up: {warmupSeconds} s, and every source and domain of the stream touched twice");
        {
            var warm = Stopwatch.StartNew();
            await Task.WhenAll(Enumerable.Range(0, 64).Select(async _ =>
            {
                while (warm.Elapsed < TimeSpan.FromSeconds(warmupSeconds) || Interlocked.Read(ref sequence) < 2 * DecisionStream.Sources) await Decide();
            }));
        }

        // (1) closed loop
        var verdicts = new ConcurrentDictionary<string, long>();
        var phase = Phase.Start(silo);
        long done = 0;
        BenchReport.Log($"closed loop, {inFlight} in flight, {seconds} s");
        await Task.WhenAll(Enumerable.Range(0, inFlight).Select(async _ =>
        {
            while (phase.Elapsed < seconds)
            {
                var (_, v) = await Decide();
                verdicts.AddOrUpdate(v, 1, (_, c) => c + 1);
                Interlocked.Increment(ref done);
            }
        }));
        var closed = phase.End(silo);
        closed["in_flight"] = inFlight;
        closed["decisions"] = done;
        closed["per_second"] = Math.Round(done / closed["seconds"]!.GetValue<double>());
        closed["verdicts"] = Verdicts(verdicts);
        closed["silo_allocated_bytes_per_decision"] = PerDecision(closed, done);
        closed["silo_cpu_us_per_decision"] = CpuPerDecision(closed, done);
        report["closed_loop"] = closed;
        BenchReport.Log(closed.ToJsonString());

        if (accounts > 0) report["accounts_seen_before_in_run"] = RepeatShare(Interlocked.Read(ref sequence), accounts);
        if (garnet is not null) report["store_bytes_per_grain"] = await StoreBytesAsync(garnet.ConnectionString);

        // (2) open loop at a fixed rate
        if (rate <= 0) return;
        var n = (int)(rate * rateSeconds);
        var fromSlot = new double[n];
        var service = new double[n];
        var ok = new bool[n];
        var tasks = new Task[n];
        verdicts.Clear();
        double maxLag = 0;
        BenchReport.Log($"open loop, {rate:N0}/s for {rateSeconds} s");
        phase = Phase.Start(silo);
        var clock = Stopwatch.StartNew();
        for (var j = 0; j < n; j++)
        {
            var wait = j / rate - clock.Elapsed.TotalSeconds;
            if (wait > 0.002) await Task.Delay(TimeSpan.FromSeconds(wait));
            else if (wait < 0) maxLag = Math.Max(maxLag, -wait);
            var slot = j;
            tasks[j] = Task.Run(async () =>
            {
                var started = clock.Elapsed.TotalSeconds;
                var (good, v) = await Decide();
                var end = clock.Elapsed.TotalSeconds;
                fromSlot[slot] = (end - slot / rate) * 1000;
                service[slot] = (end - started) * 1000;
                ok[slot] = good;
                verdicts.AddOrUpdate(v, 1, (_, c) => c + 1);
            });
        }
        await Task.WhenAll(tasks);
        var open = phase.End(silo);
        Array.Sort(fromSlot);
        Array.Sort(service);
        open["offered_per_second"] = rate;
        open["requests"] = n;
        open["failed"] = ok.Count(x => !x);
        open["verdicts"] = Verdicts(verdicts);
        open["silo_allocated_bytes_per_decision"] = PerDecision(open, n);
        open["silo_cpu_us_per_decision"] = CpuPerDecision(open, n);
        open["latency_ms_from_slot"] = Percentiles(fromSlot);
        open["latency_ms_service"] = Percentiles(service);
        open["generator_max_lag_ms"] = BenchReport.Round(maxLag * 1000, 1);
        report["open_loop"] = open;
    }

    private static double CpuPerDecision(JsonObject phase, long decisions)
        => BenchReport.Round(phase["cpu_s_silo"]!.GetValue<double>() * 1e6 / Math.Max(1, decisions), 1);

    // The share of the run's decisions whose account an earlier decision of the run had asked for.
    private static double RepeatShare(long decisions, long accounts)
    {
        var seen = new HashSet<long>();
        long repeats = 0;
        for (long i = 1; i <= decisions; i++)
            if (!seen.Add(DecisionStream.Account(i, accounts))) repeats++;
        return BenchReport.Round((double)repeats / Math.Max(1, decisions));
    }

    /// <summary>
    /// What each kind of grain takes in Garnet (<c>MEMORY USAGE</c>, the engine's own figure for a key
    /// and its value): up to 200 keys of each kind, from a scan of the silo's keys.
    /// </summary>
    private static async Task<JsonObject> StoreBytesAsync(string connectionString)
    {
        const string prefix = "tc:"; // the silo's default Cluster:RedisKeyPrefix, which the harness leaves as is
        using var connection = await ConnectionMultiplexer.ConnectAsync(connectionString);
        var server = connection.GetServer(connection.GetEndPoints()[0]);
        var db = connection.GetDatabase();
        var byKind = new Dictionary<string, List<long>>(StringComparer.Ordinal);
        await foreach (var key in server.KeysAsync(pattern: prefix + "*", pageSize: 1000))
        {
            var text = key.ToString();
            var slash = text.IndexOf('/', StringComparison.Ordinal);
            var kind = slash > prefix.Length ? text[prefix.Length..slash] : "other";
            var sizes = byKind.TryGetValue(kind, out var list) ? list : byKind[kind] = [];
            if (sizes.Count >= 200) { if (byKind.Values.All(l => l.Count >= 200)) break; continue; }
            sizes.Add((long)await db.ExecuteAsync("MEMORY", "USAGE", key));
        }
        return new JsonObject(byKind.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)new JsonObject
        {
            ["keys_sampled"] = kv.Value.Count,
            ["mean"] = BenchReport.Round(kv.Value.Average(), 1),
            ["max"] = kv.Value.Max(),
        })));
    }

    private static double PerDecision(JsonObject phase, long decisions)
        => Math.Round(phase["silo_process"]!["allocated_mb"]!.GetValue<double>() * 1e6 / Math.Max(1, decisions));

    private static JsonObject Verdicts(ConcurrentDictionary<string, long> verdicts)
        => new(verdicts.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)kv.Value)));

    private static JsonObject Percentiles(double[] sorted)
    {
        double P(double p) => BenchReport.Round(sorted[Math.Min(sorted.Length - 1, (int)(p * sorted.Length))]);
        return new JsonObject { ["p50"] = P(0.5), ["p90"] = P(0.9), ["p99"] = P(0.99), ["p999"] = P(0.999), ["max"] = P(1) };
    }

    private static async Task WaitHealthyAsync(HttpClient http, SiloProcess silo)
    {
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < TimeSpan.FromSeconds(90))
        {
            if (silo.HasExited) throw new InvalidOperationException("the silo exited before it was healthy (its output is above)");
            try
            {
                using var response = await http.GetAsync("/healthz");
                if (response.IsSuccessStatusCode && silo.ProbeReady) return;
            }
            catch (HttpRequestException)
            {
                // not listening yet
            }
            await Task.Delay(250);
        }
        throw new TimeoutException("the silo did not become healthy within 90 s");
    }

    /// <summary>A measured phase: wall time, both processes' CPU, the silo's GC (probe) and the generator's.</summary>
    private sealed class Phase
    {
        private readonly Stopwatch _clock = Stopwatch.StartNew();
        private double _cpuGenerator, _cpuSilo, _generatorPauseMs;
        private ProbeSample _silo = null!;

        public double Elapsed => _clock.Elapsed.TotalSeconds;

        public static Phase Start(SiloProcess silo) => new()
        {
            _cpuGenerator = ProcessCpu.Seconds(Environment.ProcessId),
            _cpuSilo = silo.CpuSeconds(),
            _generatorPauseMs = GC.GetTotalPauseDuration().TotalMilliseconds,
            _silo = silo.Probe(),
        };

        public JsonObject End(SiloProcess silo)
        {
            var wall = Elapsed;
            var cpuGenerator = ProcessCpu.Seconds(Environment.ProcessId) - _cpuGenerator;
            var cpuSilo = silo.CpuSeconds() - _cpuSilo;
            return new JsonObject
            {
                ["seconds"] = BenchReport.Round(wall, 2),
                ["silo_process"] = silo.Probe().Since(_silo, wall),
                ["generator_gc_pause_ms"] = BenchReport.Round(GC.GetTotalPauseDuration().TotalMilliseconds - _generatorPauseMs, 1),
                ["cpu_s_generator"] = BenchReport.Round(cpuGenerator, 2),
                ["cpu_s_silo"] = BenchReport.Round(cpuSilo, 2),
                ["generator_share_of_2_cores"] = BenchReport.Round(cpuGenerator / (2 * wall)),
                ["silo_share_of_2_cores"] = BenchReport.Round(cpuSilo / (2 * wall)),
            };
        }
    }
}
