using Microsoft.Extensions.Time.Testing;
using ThrottleCluster.Grains.Abstractions;

namespace ThrottleCluster.Grains.Tests;

/// <summary>A reset gate over in-memory grains with a hand-moved clock.</summary>
public sealed class GateHarness
{
    private readonly FakeTimeProvider _time;
    private readonly ResetGate _gate;
    private int _requests;

    public GateHarness(ThrottlePolicy? policy = null) : this(policy ?? new ThrottlePolicy(), GrainModels.T0)
    {
    }

    private GateHarness(ThrottlePolicy policy, DateTimeOffset now)
    {
        Policy = policy;
        _time = new FakeTimeProvider(now);
        Grains = new InMemoryGrains(policy, _time);
        _gate = new ResetGate(Grains, Keys);
    }

    public ThrottlePolicy Policy { get; }
    public InMemoryGrains Grains { get; }
    public GrainKeys Keys { get; } = new(7);

    /// <summary>The grains' clock; it only moves forward, as <see cref="FakeTimeProvider"/> does.</summary>
    public DateTimeOffset Now
    {
        get => _time.GetUtcNow();
        set => _time.SetUtcNow(value);
    }

    public ResetDecision Ask(string ip, string login, string domain = "example.com") =>
        Decide(new ResetAttempt($"r{++_requests}", ip, login, domain));

    public ResetDecision Decide(ResetAttempt attempt) => _gate.DecideAsync(attempt).GetAwaiter().GetResult();

    public void Redeem(string login) => Grains.GetGrain<IAccountGrain>(Keys.Account(login)).Redeemed().GetAwaiter().GetResult();

    /// <summary>An operator listing, set on the grain of <paramref name="kind"/> as the admin API does.</summary>
    /// <param name="key">The target as <see cref="ThrottleKeys"/> normalizes it.</param>
    public void List(string kind, string key, Listing listing)
    {
        key = GrainKey(kind, key);
        var set = kind switch
        {
            GrainKinds.Account => Grains.GetGrain<IAccountGrain>(key).SetListing(listing),
            GrainKinds.Ip => Grains.GetGrain<IIpGrain>(key).SetListing(listing),
            GrainKinds.Network => Grains.GetGrain<INetworkGrain>(key).SetListing(listing),
            GrainKinds.Domain => Grains.GetGrain<IDomainGrain>(key).SetListing(listing),
            _ => throw new ArgumentException($"A {kind} grain has no listing.", nameof(kind)),
        };
        set.GetAwaiter().GetResult();
    }

    /// <param name="key">The target as <see cref="ThrottleKeys"/> normalizes it.</param>
    public byte[]? State(string kind, string key) => Grains.State(kind, GrainKey(kind, key));

    /// <summary>The key the gate calls a grain by: hashed for accounts, addresses and networks (<see cref="GrainKeys"/>).</summary>
    public string GrainKey(string kind, string normalizedKey)
        => kind is GrainKinds.Account or GrainKinds.Ip or GrainKinds.Network ? Keys.Of(normalizedKey) : normalizedKey;

    public GateHarness Clone()
    {
        var clone = new GateHarness(Policy, Now) { _requests = _requests };
        clone.Grains.CopyStatesFrom(Grains);
        return clone;
    }
}
