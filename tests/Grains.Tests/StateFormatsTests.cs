using System.Reflection;
using Orleans.Storage;
using ThrottleCluster.Grains.Abstractions;
using ThrottleCluster.Grains.Storage;
using Xunit.Abstractions;

namespace ThrottleCluster.Grains.Tests;

/// <summary>
/// The stored form of grain state as the product's storage providers write it: through
/// <see cref="StateSerializer"/>, for every state a grain persists, compact, and nothing else.
/// </summary>
public class StateFormatsTests(ITestOutputHelper output)
{
    private static readonly DateTimeOffset T0 = GrainModels.T0;
    private static readonly IGrainStorageSerializer Serializer = new StateSerializer();

    private static readonly Bits256 Full = new(ulong.MaxValue, ulong.MaxValue, ulong.MaxValue, ulong.MaxValue);
    private const long Max = uint.MaxValue;

    /// <summary>The largest state of each throttling kind: every list full at the default policy, every field at its widest.</summary>
    private static readonly Sample[] WorstCases =
    [
        new Sample<AccountState>("account with PerDay sends", AccountWithPerDaySends()),
        new Sample<SourceState>("source with full sketches", new SourceState(Max, new SlidingCount(Max, Max, Max), new DistinctSketch(Max, Full, Full), Max, 32, Max, ListMode.Block, Max)),
        new Sample<DomainState>("domain at its widest", new DomainState(new SlidingCount(Max, Max, Max), new SlidingCount(Max, Max, Max), Max, ListMode.Block, Max)),
        new Sample<GlobalState>("global at its widest", new GlobalState(long.MaxValue, long.MaxValue, new SlidingCount(Max, Max, Max), Max, Max)),
    ];

    private static readonly Sample[] Others =
    [
        new Sample<AccountState>("fresh account", AccountLogic.Initial),
        new Sample<SourceState>("fresh source", SourceLogic.Initial),
        new Sample<DomainState>("fresh domain", DomainLogic.Initial),
        new Sample<GlobalState>("fresh global", GlobalLogic.Initial),
        new Sample<ResetTokenState>("no reset token", ResetTokenLogic.Initial),
        new Sample<ResetTokenState>("issued reset token", Issued(consumed: false)),
        new Sample<ResetTokenState>("consumed reset token", Issued(consumed: true)),
        new Sample<StoredPolicy>("no live policy", StoredPolicy.None),
        new Sample<StoredPolicy>("live policy", new StoredPolicy(long.MaxValue, """{"account":{"perDay":7},"note":"ünïcødé ✓"}""")),
    ];

    private static readonly Dictionary<string, Sample> Samples = WorstCases.Concat(Others).ToDictionary(sample => sample.Name);

    public static TheoryData<string> AllSamples => new(Samples.Keys);

    public static TheoryData<string> WorstCaseSamples => new(WorstCases.Select(sample => sample.Name));

    [Fact]
    public void Every_state_a_grain_persists_has_samples_here()
    {
        var persisted = typeof(AccountGrain).Assembly.GetTypes()
            .Where(type => type is { IsClass: true, IsAbstract: false } && type.IsSubclassOf(typeof(Grain)))
            .SelectMany(type => type.GetConstructors().SelectMany(ctor => ctor.GetParameters()))
            .Where(parameter => parameter.GetCustomAttribute<PersistentStateAttribute>() is not null)
            .Select(parameter => parameter.ParameterType.GetGenericArguments().Single())
            .ToHashSet();
        Assert.Equal(persisted.OrderBy(type => type.FullName), Samples.Values.Select(sample => sample.StoredType).Distinct().OrderBy(type => type.FullName));
    }

    [Theory]
    [MemberData(nameof(AllSamples))]
    public void Every_stored_state_round_trips_through_the_storage_serializer(string sample) => Samples[sample].RoundTrip(Serializer);

    [Theory]
    [MemberData(nameof(WorstCaseSamples))]
    public void A_throttle_states_worst_case_is_stored_in_under_200_bytes(string sample)
    {
        var bytes = Samples[sample].RoundTrip(Serializer);
        output.WriteLine($"{sample}: {bytes} bytes");
        Assert.InRange(bytes, 1, 199);
    }

    [Fact]
    public void A_type_that_is_no_grain_state_of_the_product_is_refused_by_name()
    {
        var listing = new Stored<Listing> { Value = new Listing(ListMode.Block, T0) };
        AssertRefused("Stored<Listing>", () => Serializer.Serialize(listing));
        AssertRefused("Stored<Listing>", () => Serializer.Deserialize<Stored<Listing>>(BinaryData.FromBytes([1, 2, 3])));
        AssertRefused("AccountState", () => Serializer.Serialize(AccountLogic.Initial));
        AssertRefused("String", () => Serializer.Deserialize<string>(BinaryData.FromString("{}")));
    }

    [Fact]
    public void A_stored_state_with_no_value_is_cleared_not_written()
    {
        var error = Assert.Throws<ArgumentException>(() => Serializer.Serialize(new Stored<AccountState>()));
        Assert.Contains("cleared, not written", error.Message);
    }

    private static void AssertRefused(string type, Action use)
    {
        var error = Assert.Throws<NotSupportedException>(use);
        Assert.Equal(
            $"{type} is not a grain state of this product: only Stored<AccountState>, Stored<SourceState>, Stored<DomainState>, " +
            "Stored<GlobalState>, Stored<ResetTokenState>, Stored<StoredPolicy> are stored.",
            error.Message);
    }

    private static AccountState AccountWithPerDaySends()
    {
        // The most emails any policy lets an account keep, 30 minutes apart (past the hourly limit and
        // the cooldown), redeemed, under an allow listing.
        var policy = new AccountPolicy { PerDay = AccountPolicy.MaxPerDay };
        var state = AccountLogic.Initial;
        for (var i = 0; i < policy.PerDay; i++)
        {
            (state, var result) = AccountLogic.Apply(policy, state, AccountCommand.Request.Instance, T0.AddMinutes(30 * i));
            Assert.True(result.Granted);
        }
        (state, _) = AccountLogic.Apply(policy, state, AccountCommand.Redeemed.Instance, T0.AddMinutes(30 * policy.PerDay));
        (state, _) = AccountLogic.Apply(policy, state, new AccountCommand.SetListing(new Listing(ListMode.Allow, T0.AddDays(30))), T0.AddMinutes(30 * policy.PerDay));
        Assert.Equal(policy.PerDay, state.Sends.Length);
        return state with { Strikes = byte.MaxValue };
    }

    private static ResetTokenState Issued(bool consumed)
    {
        var hash = Enumerable.Range(1, 32).Select(i => (byte)(i * 7)).ToArray();
        var (state, _) = ResetTokenLogic.Apply(ResetTokenLogic.Initial, new ResetTokenCommand.Issue(hash, T0.AddMinutes(15)), T0);
        if (consumed) (state, _) = ResetTokenLogic.Apply(state, new ResetTokenCommand.Consume(hash), T0.AddMinutes(1));
        Assert.Equal(consumed, state.Consumed);
        return state;
    }

    private abstract record Sample(string Name)
    {
        public abstract Type StoredType { get; }

        /// <summary>Writes the state as a provider does, reads it back, and returns the stored size.</summary>
        public abstract int RoundTrip(IGrainStorageSerializer serializer);
    }

    private sealed record Sample<TState>(string Name, TState State) : Sample(Name) where TState : class
    {
        public override Type StoredType => typeof(Stored<TState>);

        public override int RoundTrip(IGrainStorageSerializer serializer)
        {
            var stored = new Stored<TState> { Value = State, ExpiresAt = T0.AddDays(1) };
            var bytes = serializer.Serialize(stored).ToArray();
            var back = serializer.Deserialize<Stored<TState>>(BinaryData.FromBytes(bytes));
            Assert.NotNull(back);
            Assert.Equal(State, back.Value);
            Assert.Equal(bytes, serializer.Serialize(back).ToArray());
            return bytes.Length;
        }
    }
}
