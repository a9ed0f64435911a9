using System.Security.Cryptography;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Serialization;
using ThrottleCluster.Api.Tokens;
using ThrottleCluster.Grains;
using ThrottleCluster.Grains.Abstractions.ResetTokens;

namespace ThrottleCluster.Api.Tests;

public sealed class ResetTokenGrainTests
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 15, 12, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(15);

    private static byte[] Hash() => SHA256.HashData(RandomNumberGenerator.GetBytes(32));

    private static (ResetTokenState, ResetTokenOutcome) Run(ResetTokenState state, ResetTokenCommand command, DateTimeOffset now)
    {
        var (next, result) = ResetTokenLogic.Apply(state, command, now);
        // Whatever the grain keeps must survive storage unchanged.
        Assert.Equal(next, ResetTokenLogic.Deserialize(ResetTokenLogic.Serialize(next)));
        return (next, result.Outcome);
    }

    [Fact]
    public void A_token_is_consumed_once()
    {
        var hash = Hash();
        var (state, issued) = Run(ResetTokenLogic.Initial, new ResetTokenCommand.Issue(hash, T0 + Lifetime), T0);
        Assert.Equal(ResetTokenOutcome.Issued, issued);
        (state, var first) = Run(state, new ResetTokenCommand.Consume(hash), T0.AddMinutes(1));
        Assert.Equal(ResetTokenOutcome.Consumed, first);
        (_, var second) = Run(state, new ResetTokenCommand.Consume(hash), T0.AddMinutes(2));
        Assert.Equal(ResetTokenOutcome.AlreadyUsed, second);
    }

    [Fact]
    public void A_token_expires()
    {
        var hash = Hash();
        var (state, _) = Run(ResetTokenLogic.Initial, new ResetTokenCommand.Issue(hash, T0 + Lifetime), T0);
        Assert.Equal(ResetTokenOutcome.Expired, Run(state, new ResetTokenCommand.Consume(hash), T0 + Lifetime).Item2);
        Assert.Equal(ResetTokenOutcome.Consumed, Run(state, new ResetTokenCommand.Consume(hash), T0 + Lifetime - TimeSpan.FromMilliseconds(1)).Item2);
    }

    [Fact]
    public void A_new_token_invalidates_the_previous_one()
    {
        var old = Hash();
        var current = Hash();
        var (state, _) = Run(ResetTokenLogic.Initial, new ResetTokenCommand.Issue(old, T0 + Lifetime), T0);
        (state, _) = Run(state, new ResetTokenCommand.Issue(current, T0.AddMinutes(1) + Lifetime), T0.AddMinutes(1));
        Assert.Equal(ResetTokenOutcome.Unknown, Run(state, new ResetTokenCommand.Consume(old), T0.AddMinutes(2)).Item2);
        Assert.Equal(ResetTokenOutcome.Consumed, Run(state, new ResetTokenCommand.Consume(current), T0.AddMinutes(2)).Item2);
    }

    [Fact]
    public void A_new_token_after_use_works_again()
    {
        var first = Hash();
        var (state, _) = Run(ResetTokenLogic.Initial, new ResetTokenCommand.Issue(first, T0 + Lifetime), T0);
        (state, _) = Run(state, new ResetTokenCommand.Consume(first), T0);
        var second = Hash();
        (state, _) = Run(state, new ResetTokenCommand.Issue(second, T0.AddMinutes(1) + Lifetime), T0.AddMinutes(1));
        Assert.Equal(ResetTokenOutcome.Consumed, Run(state, new ResetTokenCommand.Consume(second), T0.AddMinutes(2)).Item2);
    }

    [Fact]
    public void Unknown_wrong_and_malformed_hashes_change_nothing()
    {
        Assert.Equal(ResetTokenOutcome.Unknown, Run(ResetTokenLogic.Initial, new ResetTokenCommand.Consume(Hash()), T0).Item2);
        var hash = Hash();
        var (state, _) = Run(ResetTokenLogic.Initial, new ResetTokenCommand.Issue(hash, T0 + Lifetime), T0);
        var (after, wrong) = Run(state, new ResetTokenCommand.Consume(Hash()), T0);
        Assert.Equal(ResetTokenOutcome.Unknown, wrong);
        Assert.Equal(state, after);
        Assert.Equal(ResetTokenOutcome.Invalid, Run(state, new ResetTokenCommand.Consume(new byte[31]), T0).Item2);
        Assert.Equal(ResetTokenOutcome.Invalid, Run(state, new ResetTokenCommand.Issue(new byte[33], T0 + Lifetime), T0).Item2);
        Assert.Equal(ResetTokenOutcome.Expired, Run(state, new ResetTokenCommand.Issue(Hash(), T0), T0).Item2);
        // A used token stays used, however it is asked for.
        (state, _) = Run(state, new ResetTokenCommand.Consume(hash), T0);
        Assert.Equal(ResetTokenOutcome.Unknown, Run(state, new ResetTokenCommand.Consume(Hash()), T0).Item2);
    }

    [Fact]
    public void State_lives_until_expiry_and_is_compact()
    {
        var (state, _) = Run(ResetTokenLogic.Initial, new ResetTokenCommand.Issue(Hash(), T0 + Lifetime), T0);
        Assert.Equal(Lifetime, ResetTokenLogic.TimeToLive(state, T0));
        Assert.Equal(TimeSpan.Zero, ResetTokenLogic.TimeToLive(state, T0 + Lifetime));
        Assert.Equal(TimeSpan.Zero, ResetTokenLogic.TimeToLive(ResetTokenLogic.Initial, T0));
        Assert.Equal(42, ResetTokenLogic.Serialize(state).Length);
        Assert.Single(ResetTokenLogic.Serialize(ResetTokenLogic.Initial));
        Assert.Throws<InvalidDataException>(() => ResetTokenLogic.Deserialize(new byte[] { 9 }));
        Assert.Throws<InvalidDataException>(() => ResetTokenLogic.Deserialize(new byte[41]));
    }

    [Fact]
    public void Results_cross_the_grain_boundary_with_the_Orleans_serializer()
    {
        using var services = new ServiceCollection().AddSerializer(s => s.AddAssembly(typeof(ResetTokenResult).Assembly)).BuildServiceProvider();
        var serializer = services.GetRequiredService<Serializer>();
        foreach (var outcome in Enum.GetValues<ResetTokenOutcome>())
            Assert.Equal(new ResetTokenResult(outcome), serializer.Deserialize<ResetTokenResult>(serializer.SerializeToArray(new ResetTokenResult(outcome))));
    }

    [Fact]
    public void Token_format_round_trips_and_rejects_malformed_tokens()
    {
        foreach (var id in new[] { "acct-alice", "acct/7{x}é", new string('a', 256) })
        {
            var (token, hash) = ResetTokenFormat.Create(id);
            Assert.True(ResetTokenFormat.TryParse(token, out var key, out var accountId, out var parsed));
            Assert.Equal(id, accountId);
            Assert.Equal(ResetTokenFormat.GrainKey(id), key);
            Assert.Equal(hash, parsed);
            Assert.Matches("^[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]{43}$", token);
            Assert.Equal(IResetTokenGrain.HashLength, hash.Length);
        }
        var (good, _) = ResetTokenFormat.Create("acct-alice");
        var dot = good.IndexOf('.');
        string[] bad =
        [
            "", ".", "abc", good + "A", good[..^1], good.Replace('.', '-'), "." + good[(dot + 1)..], good[..dot] + ".",
            good[..dot] + "." + good[..dot], good + "." + good, good.Replace(good[dot + 1], '+'), good[..dot] + "=." + good[(dot + 1)..],
            "AA." + good[(dot + 1)..], "_w." + good[(dot + 1)..], // a NUL account id; non-canonical trailing bits
            good[..dot] + "." + good[(dot + 1)..^1] + "_", // non-canonical secret
        ];
        foreach (var token in bad) Assert.False(ResetTokenFormat.TryParse(token, out _, out _, out _), token);
        Assert.False(ResetTokenFormat.TryParse(null, out _, out _, out _));
    }
}
