using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace ThrottleCluster.Cli.Attack;

/// <summary>
/// `throttlectl attack`: replays a password-reset flood against a running Api over HTTP, with
/// legitimate users interleaved (<see cref="AttackSchedule"/>), and counts the mail that really
/// left at the pickup directory (<see cref="PickupMail"/>), not the Api's word.
///
/// By default it starts the Api itself in embedded mode (its own accounts file and pickup
/// directory under --work-dir) and stops it by PID at the end. With --attach it drives an Api
/// that is already running at --api; it must then be told the pickup directory (--mail-dir) the
/// Api writes to and the Api must have been started with the accounts file this verb writes
/// (--write-accounts-only prints its path and exits).
/// </summary>
public static class AttackSimulator
{
    public static async Task<int> RunAsync(AttackOptions o, CliIo io, CancellationToken ct)
    {
        void Log(string s) => io.Error.WriteLine($"[attack {DateTime.UtcNow:HH:mm:ss}] {s}");
        var schedule = new AttackSchedule(o);
        Directory.CreateDirectory(o.WorkDir);
        var legitUsers = (int)schedule.Blocks;
        var accountsFile = Path.Combine(o.WorkDir, $"accounts-{o.Accounts}-{legitUsers}-{o.Domains}.json");
        var sw = Stopwatch.StartNew();
        if (!File.Exists(accountsFile)) WriteAccounts(accountsFile, o.Accounts, legitUsers, o.Domains);
        Log($"accounts file {accountsFile} ({o.Accounts} attack + {legitUsers} legitimate accounts, {o.Domains} domains) in {sw.Elapsed.TotalSeconds:F1} s");
        if (o.WriteAccountsOnly) { await io.Out.WriteLineAsync(accountsFile); return 0; }

        var mailDir = o.MailDir ?? Path.Combine(o.WorkDir, "mail-" + DateTime.UtcNow.ToString("HHmmss", CultureInfo.InvariantCulture));
        Process? api = null;
        var loadBefore = File.ReadAllText("/proc/loadavg").Trim();
        try
        {
            if (!o.Attach)
            {
                if (Directory.Exists(mailDir)) throw new UsageException($"--mail-dir: {mailDir} exists: use a fresh pickup directory.");
                Directory.CreateDirectory(mailDir);
                api = StartApi(o, accountsFile, mailDir, Log);
            }
            else if (!Directory.Exists(mailDir)) throw new UsageException($"--mail-dir: '{mailDir}' is not a directory; --attach needs the Api's pickup directory.");
            var mailBefore = PickupMail.Count(mailDir).Total;

            using var http = new HttpClient(new SocketsHttpHandler
            {
                MaxConnectionsPerServer = o.Concurrency,
                PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
                UseProxy = false,
            }) { BaseAddress = new Uri(o.Api), Timeout = TimeSpan.FromSeconds(30) };
            await WaitHealthyAsync(http, api, Log);

            var statuses = new ConcurrentDictionary<string, long>();
            var legitAsked = new ConcurrentDictionary<int, double>(); // user -> seconds into the run of the first ask
            var legitStatuses = new ConcurrentDictionary<string, long>();
            long next = -1, done = 0, legitRequests = 0, attackRequests = 0;
            var total = schedule.Total;
            var deadline = TimeSpan.FromSeconds(o.MaxSeconds);
            var clock = Stopwatch.StartNew();
            var startedUtc = DateTime.UtcNow;

            async Task Worker()
            {
                while (true)
                {
                    var i = Interlocked.Increment(ref next);
                    if (i >= total || clock.Elapsed > deadline || ct.IsCancellationRequested) return;
                    if (o.Rate > 0)
                    {
                        var due = TimeSpan.FromSeconds(i / o.Rate);
                        var wait = due - clock.Elapsed;
                        if (wait > TimeSpan.Zero) await Task.Delay(wait);
                    }
                    var (kind, account, source) = schedule.Op(i);
                    var login = kind == AttackSchedule.Kind.Attack ? $"a{account}" : $"l{account}";
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
                    if (kind == AttackSchedule.Kind.Attack) Interlocked.Increment(ref attackRequests);
                    else
                    {
                        Interlocked.Increment(ref legitRequests);
                        legitAsked.TryAdd(account, clock.Elapsed.TotalSeconds);
                        legitStatuses.AddOrUpdate(status, 1, (_, c) => c + 1);
                    }
                    Interlocked.Increment(ref done);
                }
            }

            var lastLog = TimeSpan.Zero;
            await io.WithProgressAsync(async (ctx, drawn) =>
                {
                    var bar = ctx.AddTask($"{o.Scenario}: {total:N0} requests", maxValue: total);
                    var workers = Enumerable.Range(0, o.Concurrency).Select(_ => Task.Run(Worker)).ToArray();
                    var all = Task.WhenAll(workers);
                    while (!all.IsCompleted)
                    {
                        await Task.WhenAny(all, Task.Delay(250));
                        var d = Interlocked.Read(ref done);
                        bar.Value = d;
                        bar.Description = $"{o.Scenario}: {d:N0}/{total:N0} ({d / Math.Max(0.001, clock.Elapsed.TotalSeconds):N0}/s, mail {PickupMail.CountFiles(mailDir) - mailBefore:N0})";
                        if (!drawn && clock.Elapsed - lastLog > TimeSpan.FromSeconds(15))
                        {
                            lastLog = clock.Elapsed;
                            Log($"{clock.Elapsed.TotalSeconds:F0} s: {d:N0}/{total:N0} requests, {PickupMail.CountFiles(mailDir) - mailBefore:N0} mails, statuses {string.Join(' ', statuses.Select(kv => $"{kv.Key}={kv.Value}"))}");
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

            // Drain: the outbox sends asynchronously, and deferred requests get their next look later;
            // wait until the pickup directory stops growing for longer than a look takes.
            Log($"requests done in {duration.TotalSeconds:F1} s; waiting for the outbox to drain");
            var drain = Stopwatch.StartNew();
            var last = -1; var stableSince = TimeSpan.Zero;
            while (drain.Elapsed < TimeSpan.FromSeconds(o.DrainSeconds))
            {
                var c = PickupMail.CountFiles(mailDir);
                if (c != last) { last = c; stableSince = drain.Elapsed; }
                else if (drain.Elapsed - stableSince >= TimeSpan.FromSeconds(o.DrainQuietSeconds)) break;
                await Task.Delay(1000);
            }
            var mail = PickupMail.Count(mailDir);

            var legitDelivered = mail.LegitFirstMailedUtc.Keys.Count(a => legitAsked.ContainsKey(a));
            int MailedWithin(double seconds) => legitAsked.Count(kv =>
                mail.LegitFirstMailedUtc.TryGetValue(kv.Key, out var at) && (at - startedUtc).TotalSeconds - kv.Value <= seconds);
            var legitUsersAsked = legitAsked.Count;
            var minutesStarted = (int)Math.Ceiling(duration.TotalMinutes);
            var wallMinutes = (int)((new DateTime(endedUtc.Ticks - endedUtc.Ticks % TimeSpan.TicksPerMinute) - new DateTime(startedUtc.Ticks - startedUtc.Ticks % TimeSpan.TicksPerMinute)).TotalMinutes) + 1;
            // The budget is metered: at most a burst plus PerMinute per minute over the span in which
            // emails were granted, which ends before the last one was seen (deferred ones included).
            var granting = duration + stableSince;
            var burst = o.GlobalBurst ?? Math.Max(1, o.GlobalBudgetPerMinute / 20);
            var allowed = (long)Math.Floor(burst + o.GlobalBudgetPerMinute * granting.TotalSeconds / 60);
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
                ["legitimate_unserved_by_10s"] = new JsonObject(legitAsked.Where(kv => !mail.LegitFirstMailedUtc.ContainsKey(kv.Key))
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
                // From the first ask to the first .eml's write time: the outbox and the pickup directory included.
                ["legitimate_mailed_within_60s"] = MailedWithin(60),
                ["legitimate_mailed_within_180s"] = MailedWithin(180),
                ["global_budget_per_minute"] = o.GlobalBudgetPerMinute,
                ["global_burst"] = burst,
                ["granting_span_s"] = Math.Round(granting.TotalSeconds, 1),
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
            await io.Out.WriteLineAsync(json);
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

    private static Process StartApi(AttackOptions o, string accountsFile, string mailDir, Action<string> report)
    {
        var port = new Uri(o.Api).Port;
        var dll = Path.GetFullPath(o.ApiDll);
        if (!File.Exists(dll)) throw new UsageException($"--api-dll: '{dll}' does not exist (build it: dotnet build -c Release src/Api)");
        var psi = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetDirectoryName(dll)!,
        };
        foreach (var a in new[] { dll, "--contentRoot", Path.GetDirectoryName(dll)!, "--urls", $"http://127.0.0.1:{port}" }) psi.ArgumentList.Add(a);
        // Embedded: the Api hosts an Orleans silo of its own, on free loopback ports rather than the
        // defaults, which a silo already running on this machine may hold.
        psi.Environment["Cluster__Provider"] = "Localhost";
        psi.Environment["Cluster__SiloPort"] = FreeLoopbackPort().ToString(CultureInfo.InvariantCulture);
        psi.Environment["Cluster__GatewayPort"] = FreeLoopbackPort().ToString(CultureInfo.InvariantCulture);
        psi.Environment["Accounts__File"] = accountsFile;
        psi.Environment["Email__PickupDirectory"] = mailDir;
        psi.Environment["Logging__LogLevel__Default"] = "Warning";
        psi.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        var p = Process.Start(psi)!;
        var log = new StreamWriter(Path.Combine(o.WorkDir, $"api-{p.Id}.log")) { AutoFlush = true };
        p.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (log) log.WriteLine(e.Data); };
        p.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (log) log.WriteLine(e.Data); };
        p.BeginOutputReadLine(); p.BeginErrorReadLine();
        report($"started the Api: pid {p.Id}, {o.Api}, log {Path.Combine(o.WorkDir, $"api-{p.Id}.log")}");
        return p;
    }

    private static int FreeLoopbackPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static async Task WaitHealthyAsync(HttpClient http, Process? api, Action<string> report)
    {
        var sw = Stopwatch.StartNew();
        while (sw.Elapsed < TimeSpan.FromSeconds(60))
        {
            if (api is { HasExited: true }) throw new UnreachableException($"the Api exited with {api.ExitCode} before it was healthy (its log is in --work-dir)");
            try
            {
                using var r = await http.GetAsync("/healthz");
                if (r.StatusCode == HttpStatusCode.OK) { report($"Api healthy after {sw.Elapsed.TotalSeconds:F1} s"); return; }
            }
            catch (HttpRequestException) { }
            await Task.Delay(250);
        }
        throw new UnreachableException($"the Api at {http.BaseAddress} did not become healthy within 60 s");
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
}
