using FsCheck;
using FsCheck.Fluent;
using ThrottleCluster.Grains.Abstractions;

namespace ThrottleCluster.Grains.Tests;

/// <summary>Properties every grain kind must have, checked over random command histories and clock steps.</summary>
public class GrainPropertyTests
{
    // Tight policies make the rare paths (blocks, surges, ceilings, a full send log) common in short histories.
    private static readonly SourcePolicy TightSource = new() { Burst = 3, PerDay = 8, DistinctAccounts = 4, CleanDistinct = 1, DistinctWindow = TimeSpan.FromMinutes(10) };
    private static readonly DomainPolicy TightDomain = new() { Floor = 2, Ceiling = 6, BaselineWindow = TimeSpan.FromMinutes(5) };
    private static readonly GlobalPolicy TightGlobal = new() { PerMinute = 4, Burst = 2, Hold = TimeSpan.FromMinutes(2) };
    private static readonly AccountPolicy LooseAccount = new() { TokenLifetime = TimeSpan.Zero, Cooldown = TimeSpan.FromSeconds(1), MaxCooldown = TimeSpan.FromSeconds(4) };

    public static TheoryData<string> Kinds => new() { "account", "account-loose", "ip", "ip-tight", "domain", "domain-tight", "global", "global-tight" };

    [Theory]
    [MemberData(nameof(Kinds))]
    public void State_survives_its_binary_form_and_stays_under_200_bytes(string kind) => Checked(Model(kind, new RoundTrips()));

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Once_its_time_to_live_is_over_a_grain_answers_like_a_fresh_one(string kind) => Checked(Model(kind, new Expires()));

    [Fact]
    public void Blocks_always_end_within_the_maximum_block()
    {
        var model = GrainModels.Source(TightSource);
        Checked(Prop.ForAll(GrainModels.Histories, ops =>
            model.Run(ops).All(x => GrainTime.ToTime(x.State.BlockedUntil) <= x.Now + TightSource.MaxBlock)));
    }

    [Fact]
    public void An_account_cooldown_always_ends_within_the_maximum_after_the_last_email()
    {
        var policy = new AccountPolicy { TokenLifetime = TimeSpan.Zero };
        var model = GrainModels.Account(policy);
        Checked(Prop.ForAll(GrainModels.Histories, ops => model.Run(ops).All(x =>
        {
            if (x.State.Sends.IsEmpty) return true;
            var end = GrainTime.ToTime(x.State.Sends[^1]) + policy.MaxCooldown;
            var after = AccountLogic.Apply(policy, x.State, new AccountCommand.Request(), end > x.Now ? end : x.Now).Result;
            return (after.Denied & Rule.Cooldown) == Rule.None;
        })));
    }

    [Fact]
    public void A_domain_refuses_a_clean_source_only_once_its_last_two_minutes_hold_the_clean_floor()
    {
        // Clean floor: half of a global budget of 20, above what the tight domain's baseline ever allows.
        var policy = new ThrottlePolicy { Domain = TightDomain, Global = new GlobalPolicy { PerMinute = 20 } };
        var floor = policy.Domain.CleanFloor(policy.Global);
        var refused = 0;
        var requests = (from clean in Gen.Elements(true, true, false) from step in Gen.Frequency((8, Gen.Choose(0, 5)), (1, Gen.Choose(0, 300))) select (clean, step))
            .ArrayOf().ToArbitrary();
        Checked(Prop.ForAll(requests, history =>
        {
            var (state, now, granted) = (DomainLogic.Initial, GrainModels.T0, new List<DateTimeOffset>());
            return history.All(r =>
            {
                now += TimeSpan.FromSeconds(r.step);
                (state, var result) = DomainLogic.Apply(policy, state, new DomainCommand.Reserve(r.clean), now);
                if (result.Granted) granted.Add(now);
                if (!r.clean || result.Granted) return true;
                refused++;
                // The budget's sliding minute weighs at most the current and the previous whole minute.
                var minute = now.AddTicks(-(now.Ticks % TimeSpan.TicksPerMinute));
                return result.Denied == Rule.Budget && granted.Count(g => g >= minute.AddMinutes(-1)) >= floor;
            });
        }));
        Assert.True(refused > 100, $"only {refused} clean requests were refused");
    }

    private static Property Model(string kind, IModelProperty property) => kind switch
    {
        "account" => property.Of(GrainModels.Account(new AccountPolicy())),
        "account-loose" => property.Of(GrainModels.Account(LooseAccount)),
        "ip" => property.Of(GrainModels.Source(new SourcePolicy())),
        "ip-tight" => property.Of(GrainModels.Source(TightSource)),
        "domain" => property.Of(GrainModels.Domain(new DomainPolicy())),
        "domain-tight" => property.Of(GrainModels.Domain(TightDomain)),
        "global" => property.Of(GrainModels.Global(new GlobalPolicy())),
        _ => property.Of(GrainModels.Global(TightGlobal)),
    };

    private interface IModelProperty
    {
        Property Of<TState, TCommand, TResult>(GrainModel<TState, TCommand, TResult> model) where TState : notnull;
    }

    private sealed class RoundTrips : IModelProperty
    {
        public Property Of<TState, TCommand, TResult>(GrainModel<TState, TCommand, TResult> model) where TState : notnull =>
            Prop.ForAll(GrainModels.Histories, ops => model.Run(ops).All(x =>
            {
                var bytes = model.Serialize(x.State);
                var back = model.Deserialize(bytes);
                return bytes.Length < 200 && x.State.Equals(back) && bytes.AsSpan().SequenceEqual(model.Serialize(back));
            }));
    }

    private sealed class Expires : IModelProperty
    {
        public Property Of<TState, TCommand, TResult>(GrainModel<TState, TCommand, TResult> model) where TState : notnull =>
            Prop.ForAll(GrainModels.Histories, ops => model.Run(ops).All(x =>
            {
                var ttl = model.TimeToLive(x.State, x.Now);
                var then = x.Now + (ttl > TimeSpan.Zero ? ttl : TimeSpan.Zero);
                return ttl <= model.Horizon &&
                       model.Probe(x.State, then).SequenceEqual(model.Probe(model.Initial, then));
            }));
    }

    internal static void Checked(Property property) => Check.One(Config.QuickThrowOnFailure.WithMaxTest(200), property);
}
