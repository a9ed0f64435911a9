using FsCheck;
using FsCheck.Fluent;
using ThrottleCluster.Grains.Abstractions;

namespace ThrottleCluster.Grains.Tests;

/// <summary>One generated reset request: who asks, from where, for which account, after how long.</summary>
public sealed record Attempt(int Login, int Ip, int Domain, int Step, bool RedeemIfSent);

/// <summary>Properties of the whole decision, over random request sequences and clock steps.</summary>
public class GatePropertyTests
{
    private static readonly string[] Ips =
        ["203.0.113.7", "203.0.113.8", "198.51.100.1", "2001:db8:1:2::1", "2001:db8:1:2::99", "2001:db8:1:3::1", "::ffff:203.0.113.7", "192.0.2.200"];

    private static readonly string[] Domains = ["example.com", "example.org"];

    // Tight everywhere, so that every scope refuses often in a short sequence.
    private static readonly ThrottlePolicy Tight = new()
    {
        Ip = new SourcePolicy { Burst = 2, RefillInterval = TimeSpan.FromSeconds(30), PerDay = 20, DistinctAccounts = 3, CleanDistinct = 1 },
        Network = new SourcePolicy { Burst = 4, RefillInterval = TimeSpan.FromSeconds(15), PerDay = 40, DistinctAccounts = 5, CleanDistinct = 2 },
        Domain = new DomainPolicy { Floor = 2, Ceiling = 3 },
        Global = new GlobalPolicy { PerMinute = 3, Hold = TimeSpan.FromMinutes(2) },
    };

    private static Arbitrary<Attempt[]> Sequences(int logins) =>
        (from login in Gen.Choose(0, logins - 1)
         from ip in Gen.Choose(0, Ips.Length - 1)
         from domain in Gen.Choose(0, Domains.Length - 1)
         from step in Gen.Frequency((6, Gen.Choose(0, 30)), (3, Gen.Choose(0, 900)), (1, Gen.Choose(0, 4 * 3600)))
         from redeem in Gen.Elements(true, false)
         select new Attempt(login, ip, domain, step, redeem))
        .ArrayOf().ToArbitrary();

    private static string Login(int i) => $"user{i}@example.com";

    private static ResetDecision Run(GateHarness gate, Attempt a)
    {
        gate.Now += TimeSpan.FromSeconds(a.Step);
        var decision = gate.Ask(Ips[a.Ip], Login(a.Login), Domains[a.Domain]);
        if (decision.Verdict == Verdict.Send && a.RedeemIfSent) gate.Redeem(Login(a.Login));
        return decision;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Never_more_emails_per_account_than_the_policy_allows_in_any_window(bool tight)
    {
        var account = new AccountPolicy();
        GrainPropertyTests.Checked(Prop.ForAll(Sequences(logins: 3), attempts =>
        {
            var gate = new GateHarness(tight ? Tight : null);
            var sends = new Dictionary<int, List<DateTimeOffset>>();
            foreach (var a in attempts)
            {
                if (Run(gate, a).Verdict != Verdict.Send) continue;
                if (!sends.TryGetValue(a.Login, out var list)) sends[a.Login] = list = [];
                list.Add(gate.Now);
            }
            return sends.Values.All(times => times.Select((t, i) =>
                (i == 0 || t - times[i - 1] >= account.Cooldown) &&
                times.Take(i + 1).Count(s => t - s < TimeSpan.FromHours(1)) <= account.PerHour &&
                times.Take(i + 1).Count(s => t - s < TimeSpan.FromDays(1)) <= account.PerDay).All(ok => ok));
        }));
    }

    [Fact]
    public void A_request_refused_by_any_other_scope_leaves_the_account_grain_byte_identical()
    {
        var refusedElsewhere = 0;
        GrainPropertyTests.Checked(Prop.ForAll(Sequences(logins: 3), attempts =>
        {
            var gate = new GateHarness(Tight);
            return attempts.All(a =>
            {
                var key = ThrottleKeys.Account(Login(a.Login));
                var before = gate.State(GrainKinds.Account, key);
                gate.Grains.Calls.Clear();
                var decision = Run(gate, a);
                if (decision.Verdict == Verdict.Send || decision.Denied.Account != Rule.None) return true;
                refusedElsewhere++;
                return Same(before, gate.State(GrainKinds.Account, key)) &&
                       gate.Grains.Calls.TrueForAll(c => c.Grain.Kind != GrainKinds.Account || c.Method == "redeemed");
            });
        }));
        Assert.True(refusedElsewhere > 500, $"only {refusedElsewhere} requests were refused by another scope");
    }

    [Fact]
    public void The_verdict_for_a_login_with_no_account_equals_that_for_an_existing_account_in_the_same_state()
    {
        // "user0" exists and has a history; "nobody" has no account, but its grain is given the same
        // state. Both then ask from a source neither has used, for the same domain.
        GrainPropertyTests.Checked(Prop.ForAll(Sequences(logins: 2), attempts =>
        {
            var history = new GateHarness(Tight);
            foreach (var a in attempts) Run(history, a);
            var existing = history.Clone();
            var missing = history.Clone();
            var (user, nobody) = (Login(0), "nobody@example.com");
            if (history.State(GrainKinds.Account, ThrottleKeys.Account(user)) is not null)
                missing.Grains.CopyState(GrainKinds.Account, missing.GrainKey(GrainKinds.Account, ThrottleKeys.Account(user)), missing.GrainKey(GrainKinds.Account, ThrottleKeys.Account(nobody)));

            var a1 = existing.Decide(new ResetAttempt("x", "100.64.9.9", user, "example.com"));
            var a2 = missing.Decide(new ResetAttempt("x", "100.64.9.9", nobody, "example.com"));
            return a1 == a2;
        }));
    }

    [Fact]
    public void While_shedding_no_email_goes_out_for_an_address_that_asked_for_a_second_account_that_hour()
    {
        // Any demand at all makes the breaker shed, so nearly every decision is made in a surge (not
        // when a generated clock step let it step down); later looks are made when due, as the Api does.
        var policy = new ThrottlePolicy { Global = new GlobalPolicy { PerMinute = 100, TightenAt = 0.01, ShedAt = 0.01 } };
        var (surgeSends, refusedSecondAccounts) = (0, 0);
        GrainPropertyTests.Checked(Prop.ForAll(Sequences(logins: 3), attempts =>
        {
            var gate = new GateHarness(policy);
            var global = gate.Grains.GetGrain<IGlobalGrain>(GrainKinds.GlobalKey);
            var asked = new List<(string Ip, int Login, DateTimeOffset At)>();
            var later = new List<(DateTimeOffset Due, ResetAttempt Attempt, int Login)>();
            var ok = true;
            void Decide(ResetAttempt attempt, int login)
            {
                var decision = gate.Decide(attempt);
                if (decision.Verdict == Verdict.Defer) later.Add((gate.Now + decision.RetryAfter, attempt with { Look = attempt.Look + 1 }, login));
                if (global.Status().GetAwaiter().GetResult().Stage != SurgeStage.Shed) return;
                // Two accounts in one clock hour: the hour the distinct-account sketch counts in, exactly.
                var hour = gate.Now.AddTicks(-(gate.Now.Ticks % TimeSpan.TicksPerHour));
                var ip = ThrottleKeys.Ip(attempt.ClientIp);
                var second = asked.Where(a => a.Ip == ip && a.At >= hour).Select(a => a.Login).Distinct().Count() > 1;
                if (decision.Verdict == Verdict.Send) surgeSends++;
                if (second && decision.Verdict != Verdict.Send) refusedSecondAccounts++;
                ok &= !(second && decision.Verdict == Verdict.Send);
            }
            var requests = 0;
            foreach (var a in attempts)
            {
                gate.Now += TimeSpan.FromSeconds(a.Step);
                foreach (var due in later.Where(l => l.Due <= gate.Now).OrderBy(l => l.Due).ToList())
                {
                    later.Remove(due);
                    Decide(due.Attempt, due.Login);
                }
                asked.Add((ThrottleKeys.Ip(Ips[a.Ip]), a.Login, gate.Now));
                Decide(new ResetAttempt($"r{++requests}", Ips[a.Ip], Login(a.Login), Domains[a.Domain]), a.Login);
            }
            return ok;
        }));
        Assert.True(surgeSends > 200, $"only {surgeSends} emails were sent in a surge");
        Assert.True(refusedSecondAccounts > 200, $"only {refusedSecondAccounts} second accounts were refused in a surge");
    }

    private static bool Same(byte[]? a, byte[]? b) => a is null ? b is null : b is not null && a.AsSpan().SequenceEqual(b);
}
