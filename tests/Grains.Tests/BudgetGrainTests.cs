using ThrottleCluster.Grains.Abstractions;

namespace ThrottleCluster.Grains.Tests;

public class DomainGrainTests
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 10, 12, 0, 0, TimeSpan.Zero);
    // The baseline's budget alone: no share of the global budget for clean sources.
    private static readonly DomainPolicy Policy = new() { GlobalShare = 0 };

    private DomainState _state = DomainLogic.Initial;

    private BudgetResult Ask(double seconds, DomainPolicy? policy = null, bool clean = true)
    {
        (_state, var result) = DomainLogic.Apply(new ThrottlePolicy { Domain = policy ?? Policy }, _state, new DomainCommand.Reserve(clean), T0.AddSeconds(seconds));
        return result;
    }

    private int Burst(int minute, int requests, DomainPolicy? policy = null, bool clean = true) =>
        Enumerable.Range(0, requests).Count(_ => Ask(minute * 60 + 30, policy, clean).Granted);

    [Fact]
    public void A_new_domain_gets_the_floor()
    {
        Assert.Equal(10, Burst(0, 50));
        Assert.Equal(Rule.Budget, Ask(31).Denied);
    }

    [Fact]
    public void A_new_domain_gives_clean_sources_a_share_of_the_global_budget_and_others_the_floor()
    {
        var policy = new DomainPolicy();
        // Half of the default global budget of 1,000 a minute, with no baseline at all.
        Assert.Equal(500, Burst(0, 800, policy));
        Assert.Equal(Rule.Budget, Ask(31, policy).Denied);
        // None for unclean sources once clean ones have filled the minute.
        Assert.Equal(0, Burst(0, 50, policy, clean: false));

        // Unclean sources first: half the baseline's budget (the floor of 10); clean ones the rest of their 500.
        _state = DomainLogic.Initial;
        Assert.Equal(5, Burst(0, 50, policy, clean: false));
        Assert.Equal(495, Burst(0, 800, policy));
    }

    [Fact]
    public void The_budget_follows_the_baseline_and_clamps_a_spike_at_five_times_it()
    {
        // Steady 40 emails a minute for three hours: the baseline learns it.
        for (var m = 0; m < 180; m++)
            for (var i = 0; i < 40; i++) Ask(m * 60 + i);
        Assert.InRange(_state.Baseline / 1000.0, 35, 40);
        var budget = DomainLogic.Budget(Policy, _state.Baseline);
        Assert.InRange(budget, 175, 200);
        // A spike gets five times the baseline (which has decayed a little over the quiet minute before).
        var spike = Burst(181, 1000);
        Assert.InRange(spike, budget * 0.95, budget);
    }

    [Fact]
    public void The_budget_never_exceeds_the_ceiling()
    {
        var policy = Policy with { Ceiling = 100 };
        for (var m = 0; m < 600; m++) Burst(m, 200, policy);
        Assert.Equal(100, DomainLogic.Budget(policy, _state.Baseline));
        Assert.Equal(100, Burst(601, 1000, policy));
    }

    [Fact]
    public void A_blocked_domain_sends_nothing_and_an_allowed_one_is_not_counted()
    {
        (_state, _) = DomainLogic.Apply(new ThrottlePolicy { Domain = Policy }, _state, new DomainCommand.SetListing(new Listing(ListMode.Block, T0.AddMinutes(5))), T0);
        Assert.Equal(Rule.Blocked, Ask(1).Denied);
        (_state, _) = DomainLogic.Apply(new ThrottlePolicy { Domain = Policy }, _state, new DomainCommand.SetListing(new Listing(ListMode.Allow, T0.AddMinutes(5))), T0);
        Assert.Equal(100, Burst(1, 100));
        Assert.Equal(10, Burst(6, 100));
    }

    [Fact]
    public void Release_returns_the_unit()
    {
        var reserved = Ask(0);
        (_state, _) = DomainLogic.Apply(new ThrottlePolicy { Domain = Policy }, _state, new DomainCommand.Release(reserved.Receipt!), T0);
        Assert.Equal(0, _state.Minute.Current);
    }

    [Fact]
    public void State_lives_until_the_baseline_no_longer_lifts_the_budget_above_the_floor()
    {
        for (var m = 0; m < 120; m++) Burst(m, 30);
        var ttl = DomainLogic.TimeToLive(Policy, _state, T0.AddMinutes(120));
        Assert.InRange(ttl, TimeSpan.FromMinutes(30), TimeSpan.FromHours(3));
        var fresh = DomainLogic.Apply(new ThrottlePolicy { Domain = Policy }, DomainLogic.Initial, new DomainCommand.Reserve(true), T0.AddMinutes(120) + ttl).Result;
        Assert.Equal(fresh, DomainLogic.Apply(new ThrottlePolicy { Domain = Policy }, _state, new DomainCommand.Reserve(true), T0.AddMinutes(120) + ttl).Result);
        Assert.True(DomainLogic.Budget(Policy, _state.Baseline) > Policy.Floor);
    }
}

public class GlobalGrainTests
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 10, 12, 0, 0, TimeSpan.Zero);
    // One email every 0.6 s, at most 50 at once; clean sources' new requests never on probation, and
    // no reserve kept from unclean ones: the budget and the breaker alone.
    private static readonly GlobalPolicy Policy = new() { PerMinute = 100, Burst = 50, Probation = TimeSpan.Zero, CleanReserve = 0 };

    private GlobalState _state = GlobalLogic.Initial;

    private BudgetResult Ask(double seconds, bool clean, GlobalPolicy? policy = null, int look = 0)
    {
        (_state, var result) = GlobalLogic.Apply(policy ?? Policy, _state, new GlobalCommand.Reserve(clean, look), T0.AddSeconds(seconds));
        return result;
    }

    private int Burst(double seconds, int requests, bool clean, GlobalPolicy? policy = null, int look = 0) =>
        Enumerable.Range(0, requests).Count(_ => Ask(seconds, clean, policy, look).Granted);

    [Fact]
    public void The_budget_is_metered_a_burst_at_once_then_evenly()
    {
        Assert.Equal(50, Burst(0, 99, clean: true));
        Assert.Equal(Rule.Budget, Ask(0, clean: true).Denied);
        Assert.Equal(10, Burst(6, 99, clean: true));
        Assert.Equal(1, Burst(7, 99, clean: true));
        Assert.Equal(50, Burst(600, 99, clean: true));
    }

    [Fact]
    public void No_span_of_time_sees_more_than_the_burst_plus_the_budget_for_its_length()
    {
        // Arrivals at random moments, bursty and quiet, including clock steps back (silos' clocks differ).
        var random = new Random(20261122);
        var granted = new List<double>();
        var t = 0.0;
        for (var i = 0; i < 20_000; i++)
        {
            t += random.Next(10) == 0 ? random.NextDouble() * 20 : random.NextDouble() * 0.05;
            var at = random.Next(50) == 0 ? t - random.NextDouble() : t;
            if (Ask(at, clean: random.Next(2) == 0).Granted) granted.Add(at);
        }
        granted.Sort();
        Assert.True(granted.Count > 1000, $"only {granted.Count} granted");
        for (var first = 0; first < granted.Count; first++)
            for (var last = first; last < granted.Count && granted[last] - granted[first] <= 120; last++)
            {
                // The 1 s term: a step back in time can hand out what the bucket refilled in the meantime.
                var allowed = Policy.BurstSize + Policy.PerMinute * (granted[last] - granted[first] + 1) / 60;
                Assert.True(last - first + 1 <= allowed, $"{last - first + 1} granted within {granted[last] - granted[first]:F2} s");
            }
    }

    [Fact]
    public void Demand_above_the_budget_tightens_and_keeps_half_for_clean_sources()
    {
        Assert.Equal(50, Burst(0, 100, clean: false)); // the hundredth request brings demand to the budget
        Assert.Equal(SurgeStage.Tightened, GlobalLogic.Stage(_state, T0));

        // Still tightened two minutes later, with the bucket full again: the unclean share (half of
        // it) is used up first, and the rest stays for clean sources.
        Assert.Equal(25, Burst(150, 200, clean: false));
        Assert.Equal(Rule.Surge, Ask(150, clean: false).Denied);
        Assert.Equal(25, Burst(150, 100, clean: true));
    }

    [Fact]
    public void Demand_far_above_the_budget_sheds_unclean_sources_while_clean_ones_are_still_served()
    {
        Burst(0, 400, clean: false);
        Assert.Equal(SurgeStage.Shed, GlobalLogic.Stage(_state, T0));
        Assert.Equal(0, Burst(120, 50, clean: false));
        Assert.Equal(50, Burst(120, 50, clean: true));
    }

    [Fact]
    public void The_breaker_recovers_by_itself_through_tightened()
    {
        Burst(0, 400, clean: false);
        Assert.Equal(SurgeStage.Shed, GlobalLogic.Stage(_state, T0.AddMinutes(4)));
        Assert.Equal(SurgeStage.Tightened, GlobalLogic.Stage(_state, T0.AddMinutes(6)));
        Assert.Equal(SurgeStage.Normal, GlobalLogic.Stage(_state, T0.AddMinutes(10)));
        Assert.Equal(50, Burst(600, 50, clean: false));
        Assert.True(GlobalLogic.TimeToLive(Policy, _state, T0.AddMinutes(13)) <= TimeSpan.Zero);
    }

    [Fact]
    public void Shadowed_surge_is_reported_but_the_budget_still_holds()
    {
        var policy = Policy with { Shadow = Rule.Surge };
        Burst(0, 400, clean: false, policy);
        var result = Ask(120, clean: false, policy);
        Assert.True(result.Granted);
        Assert.Equal(Rule.Surge, result.WouldDeny);
        Assert.Equal(50, Burst(180, 300, clean: false, policy));
    }

    [Fact]
    public void Release_returns_the_unit_to_the_right_class()
    {
        var before = _state;
        (_state, _) = GlobalLogic.Apply(Policy, _state, new GlobalCommand.Release(Ask(0, clean: false).Receipt!), T0);
        Assert.Equal(before with { Demand = _state.Demand }, _state with { Tat = 0, UncleanTat = 0 });
        Assert.Equal(50, Burst(0, 99, clean: true));

        var clean = Ask(600, clean: true).Receipt!;
        var unclean = _state.UncleanTat;
        (_state, _) = GlobalLogic.Apply(Policy, _state, new GlobalCommand.Release(clean), T0.AddSeconds(600));
        Assert.Equal(unclean, _state.UncleanTat);
        Assert.Equal(50, Burst(600, 99, clean: true));
    }
    [Fact]
    public void During_a_surge_a_clean_sources_new_request_is_looked_at_again_after_the_probation()
    {
        var policy = Policy with { Probation = TimeSpan.FromSeconds(20) };
        Assert.Equal(10, Burst(0, 10, clean: true, policy));
        Assert.Equal(SurgeStage.Normal, GlobalLogic.Stage(_state, T0));

        Burst(1, 100, clean: false, policy);
        Assert.Equal(SurgeStage.Tightened, GlobalLogic.Stage(_state, T0.AddSeconds(1)));
        var first = Ask(2, clean: true, policy);
        Assert.Equal((false, Rule.Probation, TimeSpan.FromSeconds(20)), (first.Granted, first.Denied, first.AskAgainAfter));
        Assert.True(Ask(22, clean: true, policy, look: 1).Granted);

        // An unclean source is not deferred at all; a spent budget defers for the longer of the two waits.
        Assert.Equal(TimeSpan.Zero, Ask(22, clean: false, policy).AskAgainAfter);
        Burst(22, 100, clean: true, policy, look: 1);
        var spent = Ask(22, clean: true, policy);
        Assert.Equal((Rule.Budget | Rule.Probation, TimeSpan.FromSeconds(20)), (spent.Denied, spent.AskAgainAfter));
        var longer = Ask(22, clean: true, policy with { LookAgain = new() { After = TimeSpan.FromSeconds(40) } });
        Assert.Equal(TimeSpan.FromSeconds(40), longer.AskAgainAfter);
    }

    [Fact]
    public void A_later_look_from_a_source_that_lost_its_clean_record_is_shed_in_every_stage()
    {
        var later = Ask(0, clean: false, look: 1);
        Assert.Equal(SurgeStage.Normal, GlobalLogic.Stage(_state, T0));
        Assert.Equal((false, Rule.Surge, TimeSpan.Zero), (later.Granted, later.Denied, later.AskAgainAfter));
        Assert.True(Ask(0, clean: false).Granted);
    }

    [Fact]
    public void Later_looks_are_not_counted_as_new_demand()
    {
        Burst(0, 500, clean: true, look: 1);
        Assert.Equal(SurgeStage.Normal, GlobalLogic.Stage(_state, T0));
        Assert.Equal(0, _state.Demand.Current);
        Burst(0, 100, clean: true);
        Assert.Equal(SurgeStage.Tightened, GlobalLogic.Stage(_state, T0));
    }

    [Fact]
    public void While_tightened_unclean_sources_leave_the_clean_reserve_of_the_bucket()
    {
        var policy = Policy with { CleanReserve = 0.5, TightenedUncleanShare = 1 };
        Burst(0, 100, clean: false, policy);
        Assert.Equal(SurgeStage.Tightened, GlobalLogic.Stage(_state, T0));

        // A full bucket of 50 a minute later: unclean sources take it down to half, clean ones the rest.
        Assert.Equal(25, Burst(60, 100, clean: false, policy));
        Assert.Equal(Rule.Surge, Ask(60, clean: false, policy).Denied);
        Assert.Equal(25, Burst(60, 100, clean: true, policy));
        // Without the reserve the unclean share alone would have let them empty it.
        _state = GlobalLogic.Initial;
        Burst(0, 100, clean: false, policy with { CleanReserve = 0 });
        Assert.Equal(50, Burst(60, 100, clean: false, policy with { CleanReserve = 0 }));
    }
}
