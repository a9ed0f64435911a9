using ThrottleCluster.Grains.Abstractions;

namespace ThrottleCluster.Grains.Tests;

public class ResetGateTests
{
    private readonly GateHarness _gate = new();

    [Fact]
    public void A_user_asking_twice_within_a_minute_gets_exactly_one_email_and_the_same_answer()
    {
        var first = _gate.Ask("203.0.113.7", "Alice@Example.com");
        _gate.Now += TimeSpan.FromSeconds(20);
        var second = _gate.Ask("203.0.113.7", " alice@example.COM ");
        Assert.Equal(Verdict.Send, first.Verdict);
        Assert.Equal(Verdict.Suppress, second.Verdict);
        Assert.Equal(Rule.Cooldown | Rule.TokenOutstanding, second.Denied.Account);
    }

    [Fact]
    public void One_ip_walking_through_accounts_is_rejected_after_the_distinct_account_limit()
    {
        var decisions = Enumerable.Range(0, 60).Select(i =>
        {
            _gate.Now += TimeSpan.FromSeconds(61);
            return _gate.Ask("198.51.100.9", $"victim{i}@example.org", "example.org");
        }).ToList();
        var firstRejected = decisions.FindIndex(d => d.Verdict == Verdict.RejectSource);
        Assert.InRange(firstRejected, 17, 24);
        Assert.Equal(Rule.Enumeration, decisions[firstRejected].Denied.Ip);
        Assert.Equal(TimeSpan.FromHours(1), decisions[firstRejected].RetryAfter);
        Assert.All(decisions.Skip(firstRejected), d => Assert.Equal(Verdict.RejectSource, d.Verdict));
    }

    [Fact]
    public void A_thousand_addresses_inside_one_ipv6_64_are_one_source()
    {
        var decisions = Enumerable.Range(0, 1000)
            .Select(i => _gate.Ask($"2001:db8:7:9:{i:x}:1:2:3", $"user{i}@example.net", $"d{i}.example")).ToList();
        Assert.Equal(10, decisions.Count(d => d.Verdict == Verdict.Send));
        Assert.Equal(990, decisions.Count(d => d.Verdict == Verdict.RejectSource && d.Denied.Ip.HasFlag(Rule.Burst)));
    }

    [Fact]
    public void Many_accounts_from_many_ips_send_no_more_than_the_global_budget()
    {
        // The budget alone: on probation, these first looks would mostly be deferred (GlobalGrainTests).
        var gate = new GateHarness(new ThrottlePolicy { Global = new GlobalPolicy { Probation = TimeSpan.Zero } });
        var sent = 0;
        for (var i = 0; i < 5000; i++)
        {
            gate.Now = GrainModels.T0.AddMilliseconds(i * 10);
            var ip = $"10.{i % 500 / 250}.{i % 250}.{1 + i % 7}";
            if (gate.Ask(ip, $"person{i}@mail{i % 1000}.example", $"mail{i % 1000}.example").Verdict == Verdict.Send) sent++;
        }
        Assert.InRange(sent, 500, gate.Policy.Global.PerMinute);
    }

    [Fact]
    public void Legitimate_users_still_get_their_email_during_a_flood_from_enumerating_sources()
    {
        // Ten requests a second from 200 addresses in 40 networks, each for a new account at the
        // domain real users are at too, and one real user every ten seconds from the first second.
        // Deferred attempts are asked again when told, as the Api does.
        var gate = new GateHarness(new ThrottlePolicy { Global = new GlobalPolicy { PerMinute = 60 } });
        var deferred = new List<(DateTimeOffset Due, ResetAttempt Attempt, bool Legitimate)>();
        var (floodSent, legitimateSent, legitimate, requests) = (0, 0, 0, 0);
        void Count(ResetDecision decision, ResetAttempt attempt, bool isLegitimate)
        {
            if (decision.Verdict == Verdict.Defer) deferred.Add((gate.Now + decision.RetryAfter, attempt with { Look = attempt.Look + 1 }, isLegitimate));
            if (decision.Verdict != Verdict.Send) return;
            if (isLegitimate) legitimateSent++; else floodSent++;
        }
        // Ten minutes of requests, then the later looks still due.
        for (var second = 0; second < 600 || deferred.Count > 0; second++)
        {
            gate.Now = GrainModels.T0.AddSeconds(second);
            foreach (var due in deferred.Where(d => d.Due <= gate.Now).ToList())
            {
                deferred.Remove(due);
                Count(gate.Decide(due.Attempt), due.Attempt, due.Legitimate);
            }
            if (second >= 600) continue;
            for (var k = 0; k < 10; k++)
            {
                var bot = second * 10 + k;
                var attempt = new ResetAttempt($"r{++requests}", $"192.0.{bot % 40}.{bot % 200}", $"target{bot}@example.com", "example.com");
                Count(gate.Decide(attempt), attempt, isLegitimate: false);
            }
            if (second % 10 != 5) continue;
            legitimate++;
            var user = new ResetAttempt($"r{++requests}", $"203.0.{second % 256}.{second / 256 + 1}", $"real{second}@example.com", "example.com");
            Count(gate.Decide(user), user, isLegitimate: true);
        }
        Assert.Equal(legitimate, legitimateSent);
        Assert.InRange(floodSent, 1, new GlobalPolicy { PerMinute = 60 }.BurstSize + 60 * 10 - legitimateSent);
    }

    [Fact]
    public void A_clean_source_refused_for_the_global_budget_alone_is_deferred_and_its_next_look_counts_nothing_at_the_source()
    {
        var gate = new GateHarness(new ThrottlePolicy { Global = new GlobalPolicy { PerMinute = 60, Burst = 1 } });
        Assert.Equal(Verdict.Send, gate.Ask("203.0.113.1", "first@example.com").Verdict);
        var attempt = new ResetAttempt("late", "203.0.113.2", "second@example.com", "example.com");
        var first = gate.Decide(attempt);
        Assert.Equal((Verdict.Defer, TimeSpan.FromSeconds(15)), (first.Verdict, first.RetryAfter));
        Assert.Equal(Rule.Budget, first.Denied.Global);
        Assert.Null(gate.State(GrainKinds.Account, "second@example.com"));

        gate.Now += first.RetryAfter;
        var ip = gate.State(GrainKinds.Ip, "203.0.113.2");
        var network = gate.State(GrainKinds.Network, "203.0.113.0/24");
        Assert.Equal(Verdict.Send, gate.Decide(attempt with { Look = attempt.Look + 1 }).Verdict);
        Assert.Equal(ip, gate.State(GrainKinds.Ip, "203.0.113.2"));
        Assert.Equal(network, gate.State(GrainKinds.Network, "203.0.113.0/24"));
    }

    [Fact]
    public void Only_a_clean_source_refused_for_the_budget_alone_is_deferred_and_only_so_often()
    {
        var policy = new ThrottlePolicy { Global = new GlobalPolicy { PerMinute = 60, Burst = 1 } };
        var gate = new GateHarness(policy);
        gate.Ask("203.0.113.1", "first@example.com");
        Assert.Equal(Verdict.Suppress, gate.Decide(new ResetAttempt("again", "203.0.113.2", "b@example.com", "example.com", Look: policy.Global.LookAgain.Times)).Verdict);

        // An address that asked for more accounts than a clean record allows.
        for (var i = 0; i < policy.Ip.CleanDistinct; i++) gate.Ask("198.51.100.7", $"walk{i}@example.com");
        Assert.Equal(Verdict.Suppress, gate.Ask("198.51.100.7", "walk-more@example.com").Verdict);

        var off = new GateHarness(policy with { Global = policy.Global with { LookAgain = new() { Times = 0 } } });
        off.Ask("203.0.113.1", "first@example.com");
        Assert.Equal(Verdict.Suppress, off.Ask("203.0.113.2", "b@example.com").Verdict);
    }

    [Fact]
    public void A_later_look_from_a_source_blocked_in_the_meantime_is_suppressed_not_rejected()
    {
        var gate = new GateHarness(new ThrottlePolicy { Global = new GlobalPolicy { PerMinute = 60, Burst = 1 } });
        gate.Ask("203.0.113.1", "first@example.com");
        var attempt = new ResetAttempt("late", "203.0.113.2", "second@example.com", "example.com");
        Assert.Equal(Verdict.Defer, gate.Decide(attempt).Verdict);
        gate.List(GrainKinds.Ip, "203.0.113.2", new Listing(ListMode.Block, gate.Now.AddDays(1)));
        gate.Now += TimeSpan.FromSeconds(15);
        var second = gate.Decide(attempt with { Look = attempt.Look + 1 });
        Assert.Equal(Verdict.Suppress, second.Verdict);
        Assert.Equal(Rule.Blocked, second.Denied.Ip);
    }

    [Fact]
    public void A_source_rejection_calls_no_other_scope_and_refunds_the_scope_that_granted()
    {
        _gate.List(GrainKinds.Ip, "203.0.113.7", new Listing(ListMode.Block, _gate.Now.AddDays(1)));
        _gate.Ask("203.0.113.99", "other@example.com");
        var network = _gate.State(GrainKinds.Network, "203.0.113.0/24");
        _gate.Grains.Calls.Clear();

        var decision = _gate.Ask("203.0.113.7", "alice@example.com");

        Assert.Equal(Verdict.RejectSource, decision.Verdict);
        Assert.Equal(Rule.Blocked, decision.Denied.Ip);
        Assert.Equal(TimeSpan.FromDays(1), decision.RetryAfter);
        Assert.Equal(network, _gate.State(GrainKinds.Network, "203.0.113.0/24"));
        Assert.Equal(
            [(Key(GrainKinds.Ip, "203.0.113.7"), "reserve"), (Key(GrainKinds.Network, "203.0.113.0/24"), "reserve"), (Key(GrainKinds.Network, "203.0.113.0/24"), "release")],
            _gate.Grains.Calls);
    }

    [Fact]
    public void Calls_run_source_then_budgets_then_the_account()
    {
        var decision = _gate.Decide(new ResetAttempt("req-42", "203.0.113.7", "alice@example.com", "example.com"));
        Assert.Equal("req-42", decision.RequestId);
        Assert.Equal(
            [
                (Key(GrainKinds.Ip, "203.0.113.7"), "reserve"),
                (Key(GrainKinds.Network, "203.0.113.0/24"), "reserve"),
                (new GrainKey(GrainKinds.Domain, "example.com"), "reserve"),
                (new GrainKey(GrainKinds.Global, GrainKinds.GlobalKey), "reserve"),
                (Key(GrainKinds.Account, "alice@example.com"), "request"),
            ],
            _gate.Grains.Calls);
    }

    [Fact]
    public void An_account_refusal_refunds_domain_and_global()
    {
        _gate.Ask("203.0.113.7", "alice@example.com");
        var (domain, global) = (_gate.State(GrainKinds.Domain, "example.com"), _gate.State(GrainKinds.Global, GrainKinds.GlobalKey));
        var decision = _gate.Ask("203.0.113.7", "alice@example.com");
        Assert.Equal(Verdict.Suppress, decision.Verdict);
        Assert.Equal(domain, _gate.State(GrainKinds.Domain, "example.com"));
        var after = GlobalLogic.Deserialize(_gate.State(GrainKinds.Global, GrainKinds.GlobalKey)!);
        Assert.Equal(GlobalLogic.Deserialize(global!) with { Demand = after.Demand }, after);
    }

    [Fact]
    public void An_allowed_network_lets_its_ips_ask_for_many_accounts_and_an_ip_listing_overrides_its_network()
    {
        _gate.List(GrainKinds.Network, "198.51.100.0/24", new Listing(ListMode.Allow, _gate.Now.AddDays(1)));
        var decisions = Enumerable.Range(0, 40).Select(i => _gate.Ask("198.51.100.9", $"employee{i}@corp.example", "corp.example")).ToList();
        Assert.DoesNotContain(decisions, d => d.Verdict == Verdict.RejectSource);
        Assert.Contains(decisions, d => d.WouldDeny.Ip.HasFlag(Rule.Burst));

        _gate.List(GrainKinds.Ip, "198.51.100.9", new Listing(ListMode.Block, _gate.Now.AddDays(1)));
        Assert.Equal(Verdict.RejectSource, _gate.Ask("198.51.100.9", "employee0@corp.example", "corp.example").Verdict);
    }

    [Fact]
    public void A_shadowed_rule_is_reported_as_would_deny_and_not_enforced()
    {
        var gate = new GateHarness(new ThrottlePolicy { Global = new GlobalPolicy { PerMinute = 1, Burst = 1, Shadow = Rule.Budget | Rule.Surge | Rule.Probation } });
        gate.Ask("203.0.113.7", "alice@example.com");
        var decision = gate.Ask("203.0.113.8", "bob@example.com");
        Assert.Equal(Verdict.Send, decision.Verdict);
        Assert.Equal(Rule.Budget, decision.WouldDeny.Global & Rule.Budget);
        Assert.Equal(Findings.None, decision.Denied);
    }

    [Theory]
    [InlineData("not-an-ip", "alice@example.com", "example.com")]
    [InlineData("203.0.113.7", "   ", "example.com")]
    [InlineData("203.0.113.7", "alice@example.com", "exa mple.com")]
    public void Malformed_input_throws_before_any_grain_is_called(string ip, string login, string domain)
    {
        Assert.ThrowsAny<ArgumentException>(() => _gate.Decide(new ResetAttempt("r", ip, login, domain)));
        Assert.Empty(_gate.Grains.Calls);
    }

    /// <summary>A grain as the gate calls it: accounts, addresses and networks by their keyed hash.</summary>
    private GrainKey Key(string kind, string normalizedKey) => new(kind, _gate.GrainKey(kind, normalizedKey));
}
