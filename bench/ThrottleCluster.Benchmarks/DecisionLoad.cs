using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Spectre.Console;
using ThrottleCluster.Runtime.Testing;

namespace ThrottleCluster.Benchmarks;

/// <summary>
/// `decisions`: the full reset decision through a silo's HTTP API (<c>POST /v1/decisions</c>), issue 5
/// figure 4. Starts a silo itself (memory storage, or with --engine garnet a Garnet of its own as in
/// cluster mode; budgets raised so every decision takes the whole granted path through all five
/// grains) unless --attach, then measures (1) throughput with many in
/// flight, closed loop, and (2) latency at a fixed offered rate, open loop: each request is due at
/// its slot and its latency counts from that slot, so a stalled generator cannot hide queueing.
/// CPU time of generator and silo comes from /proc/&lt;pid&gt;/stat.
/// </summary>
public static class DecisionLoad
{
    public static async Task<int> RunAsync(string[] args)
    {
        string silo = "http://127.0.0.1:5105", dll = "src/Silo/bin/Release/net10.0/ThrottleCluster.Silo.dll";
        bool attach = false; string engine = "memory"; int inFlight = 256; double seconds = 15, rate = 2000, rateSeconds = 20; string? outFile = null;
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--silo": silo = args[++i]; break;
                case "--attach": attach = true; break;
                case "--engine": engine = args[++i] is "memory" or "garnet" ? args[i] : throw new ArgumentException($"--engine must be memory or garnet (was '{args[i]}')."); break;
                case "--silo-dll": dll = args[++i]; break;
                case "--in-flight": inFlight = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--seconds": seconds = double.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--rate": rate = double.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--rate-seconds": rateSeconds = double.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--out": outFile = args[++i]; break;
                default: throw new ArgumentException($"Unknown option '{args[i]}'.");
            }
        }
        Process? proc = null;
        await using var garnet = !attach && engine == "garnet" ? await GarnetServer.StartAsync() : null;
        var loadBefore = File.ReadAllText("/proc/loadavg").Trim();
        var startedUtc = DateTime.UtcNow;
        try
        {
            if (!attach) proc = StartSilo(silo, dll, garnet?.ConnectionString);
            using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = Math.Max(inFlight, 512), UseProxy = false })
            { BaseAddress = new Uri(silo), Timeout = TimeSpan.FromSeconds(30) };
            await WaitHealthyAsync(http, proc);
            var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
            long seq = 0;

            // Every request a new account on one of 10,000 domains from its own /24 among 60,000:
            // no source, account or domain limit trips, so each decision is the granted path.
            async Task<(bool Ok, string Verdict)> Decide()
            {
                var i = Interlocked.Increment(ref seq);
                var k = i % 60_000;
                var body = $"{{\"clientIp\":\"10.{k / 256}.{k % 256}.1\",\"login\":\"u{i}@d{i % 10_000}.example\"}}";
                using var content = new ByteArrayContent(Encoding.UTF8.GetBytes(body));
                content.Headers.ContentType = new("application/json");
                try
                {
                    using var r = await http.PostAsync("/v1/decisions", content);
                    if (r.StatusCode != HttpStatusCode.OK) return (false, ((int)r.StatusCode).ToString(CultureInfo.InvariantCulture));
                    var s = await r.Content.ReadAsStringAsync();
                    var v = s.Contains("\"Send\"", StringComparison.Ordinal) ? "Send" : s.Contains("\"Suppress\"", StringComparison.Ordinal) ? "Suppress" : "RejectSource";
                    return (true, v);
                }
                catch (Exception ex) { return (false, ex.GetType().Name); }
            }

            // Warm-up: JIT, connections, first activations.
            {
                var end = Stopwatch.StartNew();
                await Task.WhenAll(Enumerable.Range(0, 64).Select(async _ => { while (end.Elapsed < TimeSpan.FromSeconds(3)) await Decide(); }));
            }

            // (1) closed loop
            var verdicts = new System.Collections.Concurrent.ConcurrentDictionary<string, long>();
            var (cpuGen0, cpuSilo0) = (Cpu(Environment.ProcessId), proc is null ? 0 : Cpu(proc.Id));
            var clock = Stopwatch.StartNew();
            long done = 0;
            await console.Progress().StartAsync(async ctx =>
            {
                var bar = ctx.AddTask($"closed loop, {inFlight} in flight", maxValue: seconds);
                var workers = Enumerable.Range(0, inFlight).Select(async _ =>
                {
                    while (clock.Elapsed.TotalSeconds < seconds)
                    {
                        var (_, v) = await Decide();
                        verdicts.AddOrUpdate(v, 1, (_, c) => c + 1);
                        Interlocked.Increment(ref done);
                    }
                }).ToArray();
                var all = Task.WhenAll(workers);
                while (!all.IsCompleted) { await Task.WhenAny(all, Task.Delay(250)); bar.Value = Math.Min(seconds, clock.Elapsed.TotalSeconds); }
                await all;
            });
            var closedWall = clock.Elapsed.TotalSeconds;
            var (cpuGen1, cpuSilo1) = (Cpu(Environment.ProcessId), proc is null ? 0 : Cpu(proc.Id));
            var closed = new JsonObject
            {
                ["in_flight"] = inFlight,
                ["seconds"] = Math.Round(closedWall, 2),
                ["decisions"] = done,
                ["per_second"] = Math.Round(done / closedWall, 0),
                ["verdicts"] = new JsonObject(verdicts.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)kv.Value))),
                ["cpu_s_generator"] = Math.Round(cpuGen1 - cpuGen0, 2),
                ["cpu_s_silo"] = proc is null ? null : Math.Round(cpuSilo1 - cpuSilo0, 2),
                ["generator_share_of_2_cores"] = Math.Round((cpuGen1 - cpuGen0) / (2 * closedWall), 3),
                ["silo_share_of_2_cores"] = proc is null ? null : Math.Round((cpuSilo1 - cpuSilo0) / (2 * closedWall), 3),
            };
            Console.Error.WriteLine(closed.ToJsonString());

            // (2) open loop at a fixed rate
            var n = (int)(rate * rateSeconds);
            var fromSlot = new double[n]; var service = new double[n]; var ok = new bool[n];
            var tasks = new Task[n];
            verdicts.Clear();
            (cpuGen0, cpuSilo0) = (Cpu(Environment.ProcessId), proc is null ? 0 : Cpu(proc.Id));
            clock.Restart();
            double maxLag = 0;
            await console.Progress().StartAsync(async ctx =>
            {
                var bar = ctx.AddTask($"open loop, {rate:N0}/s", maxValue: n);
                for (var j = 0; j < n; j++)
                {
                    var due = j / rate;
                    var wait = due - clock.Elapsed.TotalSeconds;
                    if (wait > 0.002) await Task.Delay(TimeSpan.FromSeconds(wait));
                    else if (wait < 0) maxLag = Math.Max(maxLag, -wait);
                    var slot = j;
                    tasks[j] = Task.Run(async () =>
                    {
                        var started = clock.Elapsed.TotalSeconds;
                        var (good, v) = await Decide();
                        var end = clock.Elapsed.TotalSeconds;
                        fromSlot[slot] = (end - slot / rate) * 1000; service[slot] = (end - started) * 1000; ok[slot] = good;
                        verdicts.AddOrUpdate(v, 1, (_, c) => c + 1);
                    });
                    if ((j & 255) == 0) bar.Value = j;
                }
                await Task.WhenAll(tasks);
                bar.Value = n;
            });
            var openWall = clock.Elapsed.TotalSeconds;
            (cpuGen1, cpuSilo1) = (Cpu(Environment.ProcessId), proc is null ? 0 : Cpu(proc.Id));
            Array.Sort(fromSlot); Array.Sort(service);
            double P(double[] a, double p) => Math.Round(a[Math.Min(a.Length - 1, (int)(p * a.Length))], 3);
            var open = new JsonObject
            {
                ["offered_per_second"] = rate,
                ["requests"] = n,
                ["seconds"] = Math.Round(openWall, 2),
                ["failed"] = ok.Count(x => !x),
                ["verdicts"] = new JsonObject(verdicts.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)kv.Value))),
                ["latency_ms_from_slot"] = new JsonObject { ["p50"] = P(fromSlot, 0.5), ["p90"] = P(fromSlot, 0.9), ["p99"] = P(fromSlot, 0.99), ["p999"] = P(fromSlot, 0.999), ["max"] = P(fromSlot, 1) },
                ["latency_ms_service"] = new JsonObject { ["p50"] = P(service, 0.5), ["p90"] = P(service, 0.9), ["p99"] = P(service, 0.99), ["p999"] = P(service, 0.999), ["max"] = P(service, 1) },
                ["generator_max_lag_ms"] = Math.Round(maxLag * 1000, 1),
                ["cpu_s_generator"] = Math.Round(cpuGen1 - cpuGen0, 2),
                ["cpu_s_silo"] = proc is null ? null : Math.Round(cpuSilo1 - cpuSilo0, 2),
                ["generator_share_of_2_cores"] = Math.Round((cpuGen1 - cpuGen0) / (2 * openWall), 3),
                ["silo_share_of_2_cores"] = proc is null ? null : Math.Round((cpuSilo1 - cpuSilo0) / (2 * openWall), 3),
            };
            var result = new JsonObject
            {
                ["silo"] = silo,
                ["silo_mode"] = attach ? "attached" : $"started by the harness: {(garnet is null ? "memory storage" : "Garnet storage (a Garnet of its own, -m 256m)")}, Throttle budgets raised",
                ["started_utc"] = startedUtc.ToString("O", CultureInfo.InvariantCulture),
                ["closed_loop"] = closed,
                ["open_loop"] = open,
                ["loadavg_before"] = loadBefore,
                ["loadavg_after"] = File.ReadAllText("/proc/loadavg").Trim(),
            };
            var json = result.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
            Console.WriteLine(json);
            if (outFile is not null) await File.WriteAllTextAsync(outFile, json + "\n");
            return 0;
        }
        finally
        {
            if (proc is not null)
            {
                try { proc.Kill(); proc.WaitForExit(10_000); } catch (InvalidOperationException) { }
                Console.Error.WriteLine($"stopped the silo (pid {proc.Id})");
                proc.Dispose();
            }
        }
    }

    private static Process StartSilo(string url, string dll, string? engine)
    {
        var full = Path.GetFullPath(dll);
        var psi = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = Path.GetDirectoryName(full)! };
        foreach (var a in new[] { full, "--contentRoot", Path.GetDirectoryName(full)!, "--urls", url }) psi.ArgumentList.Add(a);
        psi.Environment["Logging__LogLevel__Default"] = "Warning";
        psi.Environment["Throttle__Global__PerMinute"] = "10000000";
        psi.Environment["Throttle__Domain__Floor"] = "1000000";
        psi.Environment["Throttle__Domain__Ceiling"] = "1000000";
        if (engine is not null)
        {
            psi.Environment["Storage__Redis"] = engine;
            psi.Environment["Throttle__AccountHashSecret"] = "0x5eed";
        }
        var p = Process.Start(psi)!;
        p.OutputDataReceived += (_, e) => { if (e.Data is not null) Console.Error.WriteLine("silo: " + e.Data); };
        p.ErrorDataReceived += (_, e) => { if (e.Data is not null) Console.Error.WriteLine("silo: " + e.Data); };
        p.BeginOutputReadLine(); p.BeginErrorReadLine();
        Console.Error.WriteLine($"started the silo: pid {p.Id}, {url}");
        return p;
    }

    private static async Task WaitHealthyAsync(HttpClient http, Process? p)
    {
        var sw = Stopwatch.StartNew();
        while (sw.Elapsed < TimeSpan.FromSeconds(60))
        {
            if (p is { HasExited: true }) throw new InvalidOperationException($"the silo exited with {p.ExitCode}");
            try { using var r = await http.GetAsync("/healthz"); if (r.IsSuccessStatusCode) return; } catch (HttpRequestException) { }
            await Task.Delay(250);
        }
        throw new TimeoutException("the silo did not become healthy within 60 s");
    }

    private static double Cpu(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        var f = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return (long.Parse(f[11], CultureInfo.InvariantCulture) + long.Parse(f[12], CultureInfo.InvariantCulture)) / 100.0;
    }
}
