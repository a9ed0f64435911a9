using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Spectre.Console;

namespace ThrottleCluster.Benchmarks;

/// <summary>
/// `attack`: replays a password-reset flood against a running Api over HTTP, with legitimate users
/// interleaved, and counts the mail that really left at the pickup directory (not the Api's word).
///
/// By default it starts the Api itself in embedded mode (its own accounts file and pickup
/// directory under --work-dir) and stops it by PID at the end. With --attach it drives an Api
/// that is already running at --api; it must then be told the pickup directory (--mail-dir) the
/// Api writes to and the Api must have been started with the accounts file this verb writes
/// (--write-accounts-only prints its path and exits).
///
/// Accounts: attack accounts a{i}@d{i % D}.example (i &lt; M) and legitimate accounts
/// l{j}@d{j % D}.example, disjoint, so every email to an a-account went to someone who never asked.
/// </summary>
public static partial class AttackSimulator
{
    private sealed class Options
    {
        public string Api = "http://127.0.0.1:5100";
        public bool Attach;
        public string WorkDir = "/tmp/tc-attack";
        public string? MailDir;
        public string ApiDll = "src/Api/bin/Release/net10.0/ThrottleCluster.Api.dll";
        public string Scenario = "rotate"; // rotate | single | slow
        public int Accounts = 1_000_000;
        public long Requests = 10_000;
        public int Sources = 10_000;
        public int SourcesPerPrefix = 50;
        public int Domains = 1000;
        public int LegitEvery = 1000;
        public double LegitTwice = 0.5;
        public int Concurrency = 64;
        public double Rate; // requests per second over all workers, 0 = as fast as possible
        public double MaxSeconds = 1500;
        public double DrainSeconds = 120;
        public int GlobalBudgetPerMinute = 1000;
        public double LegitTarget = 0.99;
        public string? Out;
        public bool WriteAccountsOnly;
    }

    private enum Kind : byte { Attack, LegitFirst, LegitSecond }

    public static async Task<int> RunAsync(string[] args)
    {
        var o = Parse(args);
        Directory.CreateDirectory(o.WorkDir);
        var legitUsers = o.LegitEvery > 0 ? (int)Blocks(o) : 0;
        var accountsFile = Path.Combine(o.WorkDir, $"accounts-{o.Accounts}-{legitUsers}-{o.Domains}.json");
        var sw = Stopwatch.StartNew();
        if (!File.Exists(accountsFile)) WriteAccounts(accountsFile, o.Accounts, legitUsers, o.Domains);
        Log($"accounts file {accountsFile} ({o.Accounts} attack + {legitUsers} legitimate accounts, {o.Domains} domains) in {sw.Elapsed.TotalSeconds:F1} s");
        if (o.WriteAccountsOnly) { Console.WriteLine(accountsFile); return 0; }

        var mailDir = o.MailDir ?? Path.Combine(o.WorkDir, "mail-" + DateTime.UtcNow.ToString("HHmmss", CultureInfo.InvariantCulture));
        Process? api = null;
        var loadBefore = File.ReadAllText("/proc/loadavg").Trim();
        try
        {
            if (!o.Attach)
            {
                if (Directory.Exists(mailDir)) throw new InvalidOperationException($"{mailDir} exists: use a fresh pickup directory.");
                Directory.CreateDirectory(mailDir);
                api = StartApi(o, accountsFile, mailDir);
            }
            else if (!Directory.Exists(mailDir)) throw new InvalidOperationException("--attach needs --mail-dir, the Api's pickup directory.");
            var mailBefore = CountMail(mailDir).Total;

            using var http = new HttpClient(new SocketsHttpHandler
            {
                MaxConnectionsPerServer = o.Concurrency,
                PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
                UseProxy = false,
            }) { BaseAddress = new Uri(o.Api), Timeout = TimeSpan.FromSeconds(30) };
            await WaitHealthyAsync(http, api);

            var statuses = new ConcurrentDictionary<string, long>();
            var legitAsked = new ConcurrentDictionary<int, double>(); // user -> seconds into the run of the first ask
            var legitStatuses = new ConcurrentDictionary<string, long>();
            long next = -1, done = 0, legitRequests = 0, attackRequests = 0;
            var total = o.LegitEvery > 0 ? BuildBlocks(o)[^1] : o.Requests;
            var deadline = TimeSpan.FromSeconds(o.MaxSeconds);
            var clock = Stopwatch.StartNew();
            var startedUtc = DateTime.UtcNow;

            async Task Worker()
            {
                while (true)
                {
                    var i = Interlocked.Increment(ref next);
                    if (i >= total || clock.Elapsed > deadline) return;
                    if (o.Rate > 0)
                    {
                        var due = TimeSpan.FromSeconds(i / o.Rate);
                        var wait = due - clock.Elapsed;
                        if (wait > TimeSpan.Zero) await Task.Delay(wait);
                    }
                    var (kind, account, source) = Op(o, i);
                    var login = kind == Kind.Attack ? $"a{account}" : $"l{account}";
                    using var req = new HttpRequestMessage(HttpMethod.Post, "/v1/password-resets")
                    {
                        Content = new ByteArrayContent(Encoding.UTF8.GetBytes($"{{\"login\":\"{login}\"}}")),
                    };
                    req.Content.Headers.ContentType = new("application/json");
                    req.Headers.TryAddWithoutValidation("X-Forwarded-For", source);
                    string status;
                    try
                    {
                        using var resp = await http.SendAsync(req);
                        status = ((int)resp.StatusCode).ToString(CultureInfo.InvariantCulture);
                    }
                    catch (Exception ex) { status = ex.GetType().Name; }
                    statuses.AddOrUpdate(status, 1, (_, c) => c + 1);
                    if (kind == Kind.Attack) Interlocked.Increment(ref attackRequests);
                    else
                    {
                        Interlocked.Increment(ref legitRequests);
                        legitAsked.TryAdd(account, clock.Elapsed.TotalSeconds);
                        legitStatuses.AddOrUpdate(status, 1, (_, c) => c + 1);
                    }
                    Interlocked.Increment(ref done);
                }
            }

            var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
            var lastLog = TimeSpan.Zero;
            await console.Progress()
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
                .StartAsync(async ctx =>
                {
                    var bar = ctx.AddTask($"{o.Scenario}: {total:N0} requests", maxValue: total);
                    var workers = Enumerable.Range(0, o.Concurrency).Select(_ => Task.Run(Worker)).ToArray();
                    var all = Task.WhenAll(workers);
                    while (!all.IsCompleted)
                    {
                        await Task.WhenAny(all, Task.Delay(250));
                        var d = Interlocked.Read(ref done);
                        bar.Value = d;
                        bar.Description = $"{o.Scenario}: {d:N0}/{total:N0} ({d / Math.Max(0.001, clock.Elapsed.TotalSeconds):N0}/s, mail {CountFiles(mailDir) - mailBefore:N0})";
                        if (!console.Profile.Capabilities.Interactive && clock.Elapsed - lastLog > TimeSpan.FromSeconds(15))
                        {
                            lastLog = clock.Elapsed;
                            Log($"{clock.Elapsed.TotalSeconds:F0} s: {d:N0}/{total:N0} requests, {CountFiles(mailDir) - mailBefore:N0} mails, statuses {string.Join(' ', statuses.Select(kv => $"{kv.Key}={kv.Value}"))}");
                        }
                    }
                    await all;
                    bar.Value = Interlocked.Read(ref done);
                });
            var duration = clock.Elapsed;
            var endedUtc = DateTime.UtcNow;
            var loadAfterRequests = File.ReadAllText("/proc/loadavg").Trim();
            var apiCpu = api is not null ? CpuSeconds(api.Id) : (double?)null;
            var selfCpu = CpuSeconds(Environment.ProcessId);

            // Drain: the outbox sends asynchronously; wait until the pickup directory stops growing.
            Log($"requests done in {duration.TotalSeconds:F1} s; waiting for the outbox to drain");
            var drain = Stopwatch.StartNew();
            var last = -1; var stableSince = TimeSpan.Zero;
            while (drain.Elapsed < TimeSpan.FromSeconds(o.DrainSeconds))
            {
                var c = CountFiles(mailDir);
                if (c != last) { last = c; stableSince = drain.Elapsed; }
                else if (drain.Elapsed - stableSince >= TimeSpan.FromSeconds(5)) break;
                await Task.Delay(1000);
            }
            var mail = CountMail(mailDir);

            var legitDelivered = mail.LegitAccounts.Count(a => legitAsked.ContainsKey(a));
            var legitUsersAsked = legitAsked.Count;
            var minutesStarted = (int)Math.Ceiling(duration.TotalMinutes);
            var wallMinutes = (int)((new DateTime(endedUtc.Ticks - endedUtc.Ticks % TimeSpan.TicksPerMinute) - new DateTime(startedUtc.Ticks - startedUtc.Ticks % TimeSpan.TicksPerMinute)).TotalMinutes) + 1;
            var allowed = (long)o.GlobalBudgetPerMinute * minutesStarted;
            var rate = legitUsersAsked == 0 ? 1.0 : (double)legitDelivered / legitUsersAsked;
            var summary = new JsonObject
            {
                ["scenario"] = o.Scenario,
                ["api"] = o.Api,
                ["api_mode"] = o.Attach ? "attached" : "started by the simulator (embedded, memory storage, pickup directory)",
                ["started_utc"] = startedUtc.ToString("O", CultureInfo.InvariantCulture),
                ["accounts"] = o.Accounts,
                ["sources"] = o.Scenario switch { "single" => 1, "slow" => (int)Math.Ceiling(o.Requests / 3.0), _ => o.Sources },
                ["sources_per_prefix"] = o.Scenario == "single" ? 1 : o.Scenario == "slow" ? 10 : o.SourcesPerPrefix,
                ["domains"] = o.Domains,
                ["concurrency"] = o.Concurrency,
                ["offered_rate"] = o.Rate > 0 ? o.Rate : null,
                ["requests"] = Interlocked.Read(ref done),
                ["requests_planned"] = total,
                ["attack_requests"] = attackRequests,
                ["duration_s"] = Math.Round(duration.TotalSeconds, 2),
                ["requests_per_s"] = Math.Round(done / duration.TotalSeconds, 1),
                ["statuses"] = new JsonObject(statuses.OrderBy(kv => kv.Key).Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)kv.Value))),
                ["legitimate_statuses"] = new JsonObject(legitStatuses.OrderBy(kv => kv.Key).Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)kv.Value))),
                // When the users who got no email first asked: 10-second buckets from the start of the run.
                ["legitimate_unserved_by_10s"] = new JsonObject(legitAsked.Where(kv => !mail.LegitAccounts.Contains(kv.Key))
                    .GroupBy(kv => (int)(kv.Value / 10) * 10).OrderBy(g => g.Key)
                    .Select(g => KeyValuePair.Create($"{g.Key}s", (JsonNode?)g.Count()))),
                ["emails_sent"] = mail.Total - mailBefore,
                ["emails_to_accounts_never_asked"] = mail.AttackEmails,
                ["emails_unparsed"] = mail.Unparsed,
                ["legitimate_users"] = legitUsersAsked,
                ["legitimate_requests"] = legitRequests,
                ["legitimate_emails_delivered"] = mail.LegitEmails,
                ["legitimate_users_served"] = legitDelivered,
                ["legitimate_success_rate"] = Math.Round(rate, 4),
                ["global_budget_per_minute"] = o.GlobalBudgetPerMinute,
                ["minutes_started"] = minutesStarted,
                ["wall_clock_minutes_touched"] = wallMinutes,
                ["emails_allowed_by_global_budget"] = allowed,
                ["emails_within_budget"] = mail.Total - mailBefore <= allowed,
                ["legitimate_target_met"] = rate >= o.LegitTarget,
                ["drain_s"] = Math.Round(drain.Elapsed.TotalSeconds, 1),
                ["cpu_s_api"] = apiCpu is null ? null : Math.Round(apiCpu.Value, 1),
                ["cpu_s_simulator"] = Math.Round(selfCpu, 1),
                ["loadavg_before"] = loadBefore,
                ["loadavg_after_requests"] = loadAfterRequests,
                ["mail_dir"] = mailDir,
            };
            var json = summary.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
            Console.WriteLine(json);
            if (o.Out is not null) await File.WriteAllTextAsync(o.Out, json + "\n");
            return 0;
        }
        finally
        {
            if (api is not null)
            {
                try { api.Kill(); api.WaitForExit(10_000); } catch (InvalidOperationException) { }
                Log($"stopped the Api (pid {api.Id})");
                api.Dispose();
            }
        }
    }

    private static long Blocks(Options o) => (o.Requests + o.LegitEvery - 1) / o.LegitEvery;

    private static long CountLegitOps(Options o) => o.LegitEvery <= 0 ? 0 : BuildBlocks(o)[^1] - Blocks(o) * o.LegitEvery;

    private static bool LegitAsksTwice(Options o, long user) => (uint)(user * 2654435761L) / (double)uint.MaxValue < o.LegitTwice;

    // The schedule is a pure function of the index, so any number of workers can share it: block b
    // holds LegitEvery attack requests, then legitimate user b's first ask, then (for some users)
    // user b-1's second ask: a user who asks again a block later. Attack requests are rounded up to
    // whole blocks.
    private static (Kind Kind, int Account, string Source) Op(Options o, long i)
    {
        if (o.LegitEvery > 0)
        {
            var starts = _blockStarts ??= BuildBlocks(o);
            var b = Array.BinarySearch(starts, i);
            if (b < 0) b = ~b - 1;
            var offset = i - starts[b];
            if (offset == o.LegitEvery) return (Kind.LegitFirst, b, LegitSource(b));
            if (offset == o.LegitEvery + 1) return (Kind.LegitSecond, b - 1, LegitSource(b - 1));
            i = (long)b * o.LegitEvery + offset;
        }
        var account = (int)(i % o.Accounts);
        return (Kind.Attack, account, AttackSource(o, i));
    }

    private static long[]? _blockStarts;

    // starts[b] = index of block b's first op; the last element is the total number of ops.
    private static long[] BuildBlocks(Options o)
    {
        var blocks = Blocks(o);
        var starts = new long[blocks + 1];
        long pos = 0;
        for (var b = 0; b < blocks; b++)
        {
            starts[b] = pos;
            pos += o.LegitEvery + 1 + (b > 0 && LegitAsksTwice(o, b - 1) ? 1 : 0);
        }
        starts[blocks] = pos;
        return starts;
    }

    private static string AttackSource(Options o, long i)
    {
        switch (o.Scenario)
        {
            case "single": return "198.51.100.7";
            case "slow":
                {
                    // Every source asks for at most 3 accounts (it keeps a clean record) and every
                    // network holds 10 such sources (30 accounts: the network's clean limit too).
                    var s = i / 3;
                    return Address(s, 10);
                }
            default: return Address(i % o.Sources, o.SourcesPerPrefix);
        }
    }

    // Even sources IPv4 (10.x.y.h: /24 = 10.x.y), odd IPv6 (2001:db8:nnnn:hhhh::1: /48 per network, /64 per host).
    private static string Address(long s, int perPrefix)
    {
        var family = s % 2; var idx = s / 2;
        var net = idx / perPrefix; var host = idx % perPrefix;
        return family == 0
            ? $"10.{(net >> 8) & 255}.{net & 255}.{host + 1}"
            : $"2001:db8:{net & 0x7fff:x}:{host:x}::1";
    }

    // Each legitimate user from its own clean /24 or /48.
    private static string LegitSource(int j) => j % 2 == 0
        ? $"100.{64 + ((j >> 9) & 63)}.{(j >> 1) & 255}.1"
        : $"2001:db8:{0x8000 + (j & 0x7fff):x}::1";

    private static void WriteAccounts(string path, int attack, int legit, int domains)
    {
        var tmp = path + ".tmp";
        using (var w = new StreamWriter(tmp, false, new UTF8Encoding(false), 1 << 20))
        {
            w.Write('[');
            for (var i = 0; i < attack; i++)
            {
                if (i > 0) w.Write(',');
                w.Write($"{{\"accountId\":\"a{i}\",\"email\":\"a{i}@d{i % domains}.example\"}}\n");
            }
            for (var j = 0; j < legit; j++)
            {
                w.Write(',');
                w.Write($"{{\"accountId\":\"l{j}\",\"email\":\"l{j}@d{j % domains}.example\"}}\n");
            }
            w.Write(']');
        }
        File.Move(tmp, path, true);
    }

    private static Process StartApi(Options o, string accountsFile, string mailDir)
    {
        var port = new Uri(o.Api).Port;
        var dll = Path.GetFullPath(o.ApiDll);
        var psi = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetDirectoryName(dll)!,
        };
        foreach (var a in new[] { dll, "--contentRoot", Path.GetDirectoryName(dll)!, "--urls", $"http://127.0.0.1:{port}" }) psi.ArgumentList.Add(a);
        psi.Environment["Accounts__File"] = accountsFile;
        psi.Environment["Email__PickupDirectory"] = mailDir;
        psi.Environment["Logging__LogLevel__Default"] = "Warning";
        psi.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        var p = Process.Start(psi)!;
        var log = new StreamWriter(Path.Combine(o.WorkDir, $"api-{p.Id}.log")) { AutoFlush = true };
        p.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (log) log.WriteLine(e.Data); };
        p.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (log) log.WriteLine(e.Data); };
        p.BeginOutputReadLine(); p.BeginErrorReadLine();
        Log($"started the Api: pid {p.Id}, {o.Api}, log {Path.Combine(o.WorkDir, $"api-{p.Id}.log")}");
        return p;
    }

    private static async Task WaitHealthyAsync(HttpClient http, Process? api)
    {
        var sw = Stopwatch.StartNew();
        while (sw.Elapsed < TimeSpan.FromSeconds(60))
        {
            if (api is { HasExited: true }) throw new InvalidOperationException($"the Api exited with {api.ExitCode} before it was healthy");
            try
            {
                using var r = await http.GetAsync("/healthz");
                if (r.StatusCode == HttpStatusCode.OK) { Log($"Api healthy after {sw.Elapsed.TotalSeconds:F1} s"); return; }
            }
            catch (HttpRequestException) { }
            await Task.Delay(250);
        }
        throw new TimeoutException("the Api did not become healthy within 60 s");
    }

    private sealed record Mail(int Total, int AttackEmails, int LegitEmails, HashSet<int> LegitAccounts, int Unparsed);

    private static int CountFiles(string dir) => Directory.EnumerateFiles(dir, "*.eml").Count();

    [GeneratedRegex(@"^To:.*?\b([al])(\d+)@d\d+\.example", RegexOptions.Multiline | RegexOptions.IgnoreCase)]
    private static partial Regex ToHeader();

    private static Mail CountMail(string dir)
    {
        int total = 0, attack = 0, legit = 0, unparsed = 0;
        var legitAccounts = new HashSet<int>();
        foreach (var f in Directory.EnumerateFiles(dir, "*.eml"))
        {
            total++;
            string head;
            using (var r = new StreamReader(f))
            {
                var buf = new char[4096];
                var n = r.ReadBlock(buf, 0, buf.Length);
                head = new string(buf, 0, n);
            }
            var end = head.IndexOf("\r\n\r\n", StringComparison.Ordinal);
            if (end > 0) head = head[..end];
            var m = ToHeader().Match(head);
            if (!m.Success) { unparsed++; continue; }
            if (m.Groups[1].Value is "a" or "A") attack++;
            else { legit++; legitAccounts.Add(int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture)); }
        }
        return new Mail(total, attack, legit, legitAccounts, unparsed);
    }

    private static double CpuSeconds(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            // utime, stime are fields 14 and 15 (1-based); after ") " the first field is 3.
            return (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) / 100.0;
        }
        catch (IOException) { return double.NaN; }
    }

    private static void Log(string s) => Console.Error.WriteLine($"[attack {DateTime.UtcNow:HH:mm:ss}] {s}");

    private static Options Parse(string[] args)
    {
        var o = new Options();
        for (var i = 0; i < args.Length; i++)
        {
            string V() => args[++i];
            switch (args[i])
            {
                case "--api": o.Api = V(); break;
                case "--attach": o.Attach = true; break;
                case "--work-dir": o.WorkDir = V(); break;
                case "--mail-dir": o.MailDir = V(); break;
                case "--api-dll": o.ApiDll = V(); break;
                case "--scenario": o.Scenario = V(); if (o.Scenario is not ("rotate" or "single" or "slow")) throw new ArgumentException("--scenario rotate|single|slow"); break;
                case "--accounts": o.Accounts = int.Parse(V(), CultureInfo.InvariantCulture); break;
                case "--requests": o.Requests = long.Parse(V(), CultureInfo.InvariantCulture); break;
                case "--sources": o.Sources = int.Parse(V(), CultureInfo.InvariantCulture); break;
                case "--sources-per-prefix": o.SourcesPerPrefix = int.Parse(V(), CultureInfo.InvariantCulture); break;
                case "--domains": o.Domains = int.Parse(V(), CultureInfo.InvariantCulture); break;
                case "--legit-every": o.LegitEvery = int.Parse(V(), CultureInfo.InvariantCulture); break;
                case "--legit-twice": o.LegitTwice = double.Parse(V(), CultureInfo.InvariantCulture); break;
                case "--concurrency": o.Concurrency = int.Parse(V(), CultureInfo.InvariantCulture); break;
                case "--rate": o.Rate = double.Parse(V(), CultureInfo.InvariantCulture); break;
                case "--max-seconds": o.MaxSeconds = double.Parse(V(), CultureInfo.InvariantCulture); break;
                case "--drain-seconds": o.DrainSeconds = double.Parse(V(), CultureInfo.InvariantCulture); break;
                case "--global-budget": o.GlobalBudgetPerMinute = int.Parse(V(), CultureInfo.InvariantCulture); break;
                case "--out": o.Out = V(); break;
                case "--write-accounts-only": o.WriteAccountsOnly = true; break;
                default: throw new ArgumentException($"Unknown option '{args[i]}'.");
            }
        }
        return o;
    }
}
