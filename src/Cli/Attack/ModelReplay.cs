using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Time.Testing;
using ThrottleCluster.Grains.Abstractions;
using ThrottleCluster.Testing;

namespace ThrottleCluster.Cli.Attack;

/// <summary>
/// `throttlectl attack --scenario near-budget|under-limits|rotate64|cold`: a <see cref="TimedScenario"/>
/// replayed through the product's reset gate and grains, on an Orleans in-process cluster
/// (<see cref="ThrottleTestCluster"/>, one silo, memory storage, the shipped policy with
/// <c>--global-budget</c> and any <c>--set</c>) whose clock is simulated: minutes of traffic take seconds, and a run is the
/// same every time. Deferred requests are looked at again as the Api's later looks do (the next
/// <see cref="ResetAttempt.Look"/>, after the gate's RetryAfter, at most <c>--later-looks-capacity</c>
/// waiting). A request answered
/// <see cref="Verdict.Send"/> counts as mailed at that moment: the outbox and SMTP are not modelled
/// (the HTTP scenarios measure them).
/// </summary>
public static class ModelReplay
{
    private static readonly DateTimeOffset Start = new(2026, 1, 10, 12, 0, 0, TimeSpan.Zero);

    public static async Task<int> RunAsync(AttackOptions o, CliIo io, CancellationToken ct)
    {
        void Log(string s) => io.Error.WriteLine($"[attack {DateTime.UtcNow:HH:mm:ss}] {s}");
        Check("--minutes", o.Minutes, 1.0 / 60, 24 * 60);
        Check("--warm-minutes", o.WarmMinutes, 0, 24 * 60);
        Check("--legit-share", o.LegitShare, 0.001, 100);
        Check("--flood-rate", o.FloodRate, 0, 100_000);
        Check("--accounts-per-source", o.AccountsPerSource, 1, 1000);
        Check("--source-gap", o.SourceGap, 0, 3600);
        Check("--later-looks-capacity", o.LaterLooksCapacity, 0, 10_000_000);
        var policy = Policy(o);
        var requests = TimedScenario.Build(o, policy.Global.PerMinute);
        var time = new FakeTimeProvider(Start);
        await using var cluster = await ThrottleTestCluster.StartAsync(c =>
        {
            c.Silos = 1;
            c.Policy = policy;
            c.Time = time;
        });
        Log($"{o.Scenario}: {requests.Count:N0} requests over {requests[^1].At:F0} simulated seconds");

        var tally = new ReplayTally();
        // Deferred requests by when they are due, then in the order they were deferred.
        var later = new PriorityQueue<(int Request, int Look), (double Due, long Order)>();
        long deferred = 0;
        var wall = Stopwatch.StartNew();
        var next = 0;
        var lastLog = TimeSpan.Zero;
        await io.WithProgressAsync(async (ctx, drawn) =>
        {
            var bar = ctx.AddTask($"{o.Scenario}: {requests.Count:N0} requests", maxValue: requests.Count);
            while (!ct.IsCancellationRequested && (next < requests.Count || later.Count > 0))
            {
                var fromQueue = later.TryPeek(out var pending, out var due) && (next == requests.Count || due.Due <= requests[next].At);
                var (index, look, at) = fromQueue ? (pending.Request, pending.Look, due.Due) : (next, 0, requests[next].At);
                if (fromQueue) later.Dequeue(); else next++;

                var request = requests[index];
                time.SetUtcNow(Start + TimeSpan.FromSeconds(at));
                var decision = await cluster.Gate.DecideAsync(new ResetAttempt($"r{index}.{look}", request.Source, request.Login, request.Domain, look), ct);
                tally.Add(request, look, at, decision.Verdict);
                if (decision.Verdict == Verdict.Defer)
                {
                    // As the Api's later looks: a bounded queue that drops what does not fit.
                    if (later.Count >= o.LaterLooksCapacity) tally.Dropped();
                    else later.Enqueue((index, look + 1), (at + decision.RetryAfter.TotalSeconds, deferred++));
                    tally.Pending(later.Count);
                }
                bar.Value = next;
                if (!drawn && wall.Elapsed - lastLog > TimeSpan.FromSeconds(15))
                {
                    lastLog = wall.Elapsed;
                    Log($"{at:F0} simulated s: {next:N0}/{requests.Count:N0} requests, {later.Count:N0} deferred waiting, {tally.FloodEmails:N0} flood emails");
                }
            }
        });
        ct.ThrowIfCancellationRequested();
        Log($"done in {wall.Elapsed.TotalSeconds:F1} s");

        var summary = tally.Summary(o, policy);
        summary["wall_s"] = Math.Round(wall.Elapsed.TotalSeconds, 1);
        var json = summary.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
        await io.Out.WriteLineAsync(json);
        if (o.Out is not null) await File.WriteAllTextAsync(o.Out, json + "\n", ct);
        return 0;
    }

    /// <summary>The shipped policy with --global-budget and --global-burst, then each --set path=value as <c>policy set</c> takes it.</summary>
    private static ThrottlePolicy Policy(AttackOptions o)
    {
        var shipped = new ThrottlePolicy { Global = new GlobalPolicy { PerMinute = o.GlobalBudgetPerMinute, Burst = o.GlobalBurst } };
        var document = JsonSerializer.SerializeToNode(shipped, ProductJson.Options)!.AsObject();
        foreach (var setting in o.PolicySettings) PolicyAssignment.Parse(setting).ApplyTo(document);
        try
        {
            var policy = document.Deserialize<ThrottlePolicy>(ProductJson.Options)!;
            policy.Validate();
            return policy;
        }
        catch (JsonException ex)
        {
            throw new UsageException($"--set: '{ex.Path?.TrimStart('$', '.')}' cannot hold the value given (durations: 30s, 15m, 2h, 1d)");
        }
        catch (ArgumentException ex)
        {
            throw new UsageException($"--set: {ex.Message}");
        }
    }

    private static void Check(string option, double value, double min, double max)
    {
        if (!(value >= min && value <= max))
            throw new UsageException($"{option}: {value.ToString(CultureInfo.InvariantCulture)} is not between {min.ToString(CultureInfo.InvariantCulture)} and {max.ToString(CultureInfo.InvariantCulture)}");
    }

    /// <summary>What the gate answered, per request and per legitimate user.</summary>
    private sealed class ReplayTally
    {
        private readonly Dictionary<int, double> _asked = [];
        private readonly Dictionary<int, double> _mailed = [];
        private readonly List<double> _emails = [];
        private readonly Dictionary<string, long> _firstLooks = [];
        private readonly Dictionary<string, long> _laterLooks = [];
        private long _floodRequests, _legitRequests, _dropped;
        private int _maxPending;

        public long FloodEmails { get; private set; }

        public void Pending(int count) => _maxPending = Math.Max(_maxPending, count);

        public void Dropped() => _dropped++;

        public void Add(TimedRequest request, int look, double at, Verdict verdict)
        {
            var verdicts = look == 0 ? _firstLooks : _laterLooks;
            var key = $"{(request.Legit ? "legitimate" : "flood")} {verdict}";
            verdicts[key] = verdicts.GetValueOrDefault(key) + 1;
            if (look == 0)
            {
                if (request.Legit) _legitRequests++; else _floodRequests++;
                if (request.Legit) _asked.TryAdd(request.Account, at);
            }
            if (verdict != Verdict.Send) return;
            _emails.Add(at);
            if (!request.Legit) FloodEmails++;
            else _mailed.TryAdd(request.Account, at);
        }

        public JsonObject Summary(AttackOptions o, ThrottlePolicy policy)
        {
            var users = _asked.Count;
            int Within(double seconds) => _asked.Count(u => _mailed.TryGetValue(u.Key, out var t) && t - u.Value <= seconds);
            double Share(long part, long whole) => whole == 0 ? 1 : Math.Round((double)part / whole, 4);
            var (within60, within180) = (Within(60), Within(180));
            var burst = policy.Global.BurstSize;
            var excess = MeteredExcess(policy.Global.PerMinute, burst);
            var floodShare = Share(FloodEmails, _floodRequests);
            return new JsonObject
            {
                ["scenario"] = o.Scenario,
                ["clock"] = "simulated (FakeTimeProvider), in-process Orleans cluster of the product's grains, 1 silo, memory storage",
                ["global_budget_per_minute"] = policy.Global.PerMinute,
                ["global_burst"] = burst,
                ["legit_share_of_budget"] = o.LegitShare,
                ["warm_minutes"] = o.Scenario == TimedScenario.Cold ? 0 : o.WarmMinutes,
                ["flood_minutes"] = o.Minutes,
                ["flood_rate_per_s"] = o.FloodRate,
                ["flood_requests"] = _floodRequests,
                ["flood_emails"] = FloodEmails,
                ["flood_emails_share_of_requests"] = floodShare,
                ["legitimate_users"] = users,
                ["legitimate_requests"] = _legitRequests,
                ["legitimate_mailed_within_60s"] = within60,
                ["legitimate_mailed_within_180s"] = within180,
                ["legitimate_mailed_ever"] = _mailed.Count,
                ["legitimate_within_60s_share"] = Share(within60, users),
                ["legitimate_within_180s_share"] = Share(within180, users),
                ["emails"] = _emails.Count,
                ["emails_max_in_any_60s"] = MaxInWindow(60),
                // Over every span of s seconds at most Burst + PerMinute * s / 60 emails (the metered budget).
                ["emails_over_metered_budget"] = excess,
                ["emails_within_global_budget"] = excess <= 0,
                ["max_deferred_waiting"] = _maxPending,
                ["later_looks_dropped"] = _dropped,
                ["first_looks"] = Counts(_firstLooks),
                ["later_looks"] = Counts(_laterLooks),
                ["targets_met"] = Share(within180, users) >= 0.99 && Share(within60, users) >= 0.95 && floodShare <= 0.01 && excess <= 0,
            };
        }

        private static JsonObject Counts(Dictionary<string, long> counts) =>
            new(counts.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)kv.Value)));

        private int MaxInWindow(double seconds)
        {
            var (max, first) = (0, 0);
            for (var last = 0; last < _emails.Count; last++)
            {
                while (_emails[last] - _emails[first] >= seconds) first++;
                max = Math.Max(max, last - first + 1);
            }
            return max;
        }

        // The largest (emails in [t_i, t_j]) - (Burst + PerMinute * (t_j - t_i) / 60) over all spans:
        // with f(k) = k - PerMinute * t_k / 60 it is max over i <= j of f(j) - f(i) + 1 - Burst.
        private double MeteredExcess(int perMinute, int burst)
        {
            if (_emails.Count == 0) return -burst;
            var lowest = double.MaxValue;
            var worst = double.MinValue;
            for (var k = 0; k < _emails.Count; k++)
            {
                var f = k - perMinute * _emails[k] / 60;
                lowest = Math.Min(lowest, f);
                worst = Math.Max(worst, f - lowest);
            }
            return Math.Round(worst + 1 - burst, 3);
        }
    }
}
