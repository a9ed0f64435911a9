using System.Text.Json;
using ThrottleCluster.Grains.Abstractions;

namespace ThrottleCluster.Grains.Tests;

/// <summary>
/// <see cref="IGrainCalls"/> over a dictionary, applying the pure grain functions the way the
/// runtime does: state stored in its binary form, dropped at its time to live, commands and results
/// passed through JSON as between silos.
/// </summary>
public sealed class InMemoryGrains : IGrainCalls
{
    private delegate (byte[] State, TimeSpan TimeToLive, object Result) Turn(byte[]? state, string commandJson, DateTimeOffset now);

    private readonly Dictionary<GrainKey, (byte[] State, DateTimeOffset Expires)> _states = new();
    private readonly Dictionary<string, Turn> _kinds;

    public InMemoryGrains(ThrottlePolicy policy)
    {
        _kinds = new()
        {
            [GrainKinds.Account] = Host<AccountState, AccountCommand, AccountResult>(AccountLogic.Initial,
                (s, c, n) => AccountLogic.Apply(policy.Account, s, c, n), (s, n) => AccountLogic.TimeToLive(policy.Account, s, n),
                AccountLogic.Serialize, AccountLogic.Deserialize),
            [GrainKinds.Ip] = Host<SourceState, SourceCommand, SourceResult>(SourceLogic.Initial,
                (s, c, n) => SourceLogic.Apply(policy.Ip, s, c, n), (s, n) => SourceLogic.TimeToLive(policy.Ip, s, n),
                SourceLogic.Serialize, SourceLogic.Deserialize),
            [GrainKinds.Network] = Host<SourceState, SourceCommand, SourceResult>(SourceLogic.Initial,
                (s, c, n) => SourceLogic.Apply(policy.Network, s, c, n), (s, n) => SourceLogic.TimeToLive(policy.Network, s, n),
                SourceLogic.Serialize, SourceLogic.Deserialize),
            [GrainKinds.Domain] = Host<DomainState, DomainCommand, BudgetResult>(DomainLogic.Initial,
                (s, c, n) => DomainLogic.Apply(policy.Domain, s, c, n), (s, n) => DomainLogic.TimeToLive(policy.Domain, s, n),
                DomainLogic.Serialize, DomainLogic.Deserialize),
            [GrainKinds.Global] = Host<GlobalState, GlobalCommand, BudgetResult>(GlobalLogic.Initial,
                (s, c, n) => GlobalLogic.Apply(policy.Global, s, c, n), (s, n) => GlobalLogic.TimeToLive(policy.Global, s, n),
                GlobalLogic.Serialize, GlobalLogic.Deserialize),
        };
    }

    public List<(GrainKey Grain, string CallId)> Calls { get; } = [];

    public Task<TResult> CallAsync<TCommand, TResult>(string kind, string key, string callId, TCommand command, DateTimeOffset now, CancellationToken ct)
    {
        var grain = new GrainKey(kind, key);
        Calls.Add((grain, callId));
        var (state, ttl, result) = _kinds[kind](State(kind, key, now), JsonSerializer.Serialize(command), now);
        if (ttl > TimeSpan.Zero) _states[grain] = (state, now + ttl);
        else _states.Remove(grain);
        return Task.FromResult(JsonSerializer.Deserialize<TResult>(JsonSerializer.Serialize(result, result.GetType()))!);
    }

    /// <summary>The stored bytes of a grain at <paramref name="now"/>, or null if it has none.</summary>
    public byte[]? State(string kind, string key, DateTimeOffset now) =>
        _states.TryGetValue(new GrainKey(kind, key), out var entry) && entry.Expires > now ? entry.State : null;

    /// <summary>Gives grain <paramref name="to"/> the state of grain <paramref name="from"/>.</summary>
    public void CopyState(string kind, string from, string to) => _states[new GrainKey(kind, to)] = _states[new GrainKey(kind, from)];

    public InMemoryGrains CopyStatesFrom(InMemoryGrains other)
    {
        foreach (var (grain, entry) in other._states) _states[grain] = entry;
        return this;
    }

    private static Turn Host<TState, TCommand, TResult>(
        TState initial,
        Func<TState, TCommand, DateTimeOffset, (TState, TResult)> apply,
        Func<TState, DateTimeOffset, TimeSpan> timeToLive,
        Func<TState, byte[]> serialize,
        Func<ReadOnlyMemory<byte>, TState> deserialize) =>
        (bytes, json, now) =>
        {
            var (next, result) = apply(bytes is null ? initial : deserialize(bytes), JsonSerializer.Deserialize<TCommand>(json)!, now);
            return (serialize(next), timeToLive(next, now), result!);
        };
}
