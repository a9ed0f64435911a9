using ThrottleCluster.Grains;
using ThrottleCluster.Grains.Abstractions;
using ThrottleCluster.Runtime;

namespace ThrottleCluster.Benchmarks;

/// <summary>Grain types the harness registers with the runtime.</summary>
public static class BenchGrains
{
    public const string Counter = "counter";

    /// <summary>A counter: the command is the amount to add, the result the new total. State: 8 bytes.</summary>
    public static GrainType<long, int, long> CounterType { get; } = new(
        Counter, 0L,
        (state, add, _) => (state + add, state + add),
        (_, _) => TimeSpan.FromHours(1),
        state => BitConverter.GetBytes(state),
        bytes => BitConverter.ToInt64(bytes.Span));
}

/// <summary>
/// <see cref="IGrainCalls"/> over a dictionary, applying the pure grain functions the way a turn does
/// (apply, time to live, serialize the new state for the write), without a runtime, JSON or a store.
/// Single-threaded. State objects stay cached, as in a warm activation.
/// </summary>
public sealed class DirectGrainCalls : IGrainCalls
{
    private readonly Dictionary<(string Kind, string Key), object> _states = new();
    private readonly Kind<AccountState, AccountCommand, AccountResult> _account;
    private readonly Kind<SourceState, SourceCommand, SourceResult> _ip, _network;
    private readonly Kind<DomainState, DomainCommand, BudgetResult> _domain;
    private readonly Kind<GlobalState, GlobalCommand, BudgetResult> _global;

    // Delegates built once, so a call allocates only what the grain logic and the gate allocate.
    public DirectGrainCalls(ThrottlePolicy policy)
    {
        _account = new(AccountLogic.Initial, (s, c, n) => AccountLogic.Apply(policy.Account, s, c, n), (s, n) => AccountLogic.TimeToLive(policy.Account, s, n), AccountLogic.Serialize);
        _ip = new(SourceLogic.Initial, (s, c, n) => SourceLogic.Apply(policy.Ip, s, c, n), (s, n) => SourceLogic.TimeToLive(policy.Ip, s, n), SourceLogic.Serialize);
        _network = new(SourceLogic.Initial, (s, c, n) => SourceLogic.Apply(policy.Network, s, c, n), (s, n) => SourceLogic.TimeToLive(policy.Network, s, n), SourceLogic.Serialize);
        _domain = new(DomainLogic.Initial, (s, c, n) => DomainLogic.Apply(policy.Domain, s, c, n), (s, n) => DomainLogic.TimeToLive(policy.Domain, s, n), DomainLogic.Serialize);
        _global = new(GlobalLogic.Initial, (s, c, n) => GlobalLogic.Apply(policy.Global, s, c, n), (s, n) => GlobalLogic.TimeToLive(policy.Global, s, n), GlobalLogic.Serialize);
    }

    public long BytesWritten { get; private set; }

    public int Count => _states.Count;

    public Task<TResult> CallAsync<TCommand, TResult>(string kind, string key, string callId, TCommand command, DateTimeOffset now, CancellationToken ct)
    {
        object result = kind switch
        {
            GrainKinds.Account => Turn(_account, kind, key, (AccountCommand)(object)command!, now),
            GrainKinds.Ip => Turn(_ip, kind, key, (SourceCommand)(object)command!, now),
            GrainKinds.Network => Turn(_network, kind, key, (SourceCommand)(object)command!, now),
            GrainKinds.Domain => Turn(_domain, kind, key, (DomainCommand)(object)command!, now),
            GrainKinds.Global => Turn(_global, kind, key, (GlobalCommand)(object)command!, now),
            _ => throw new ArgumentException($"Unknown grain kind '{kind}'."),
        };
        return Task.FromResult((TResult)result);
    }

    private TResult Turn<TState, TCommand, TResult>(Kind<TState, TCommand, TResult> k, string kind, string key, TCommand command, DateTimeOffset now)
        where TState : class
    {
        var state = _states.TryGetValue((kind, key), out var s) ? (TState)s : k.Initial;
        var (next, result) = k.Apply(state, command, now);
        if (k.TimeToLive(next, now) > TimeSpan.Zero)
        {
            BytesWritten += k.Serialize(next).Length; // the write a turn would send
            _states[(kind, key)] = next;
        }
        else _states.Remove((kind, key));
        return result;
    }

    private sealed record Kind<TState, TCommand, TResult>(
        TState Initial,
        Func<TState, TCommand, DateTimeOffset, (TState, TResult)> Apply,
        Func<TState, DateTimeOffset, TimeSpan> TimeToLive,
        Func<TState, byte[]> Serialize);
}
