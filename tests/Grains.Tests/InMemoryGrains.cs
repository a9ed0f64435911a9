using Orleans.Runtime;
using ThrottleCluster.Grains.Abstractions;

namespace ThrottleCluster.Grains.Tests;

/// <summary>
/// An <see cref="IGrainFactory"/> for unit tests: the throttling grains as small in-memory objects
/// over the same pure functions, doing what the real grains do: time from the
/// <see cref="TimeProvider"/>, state stored in its binary form, written only when it changed, dropped
/// at its time to live, arguments and results passed through Orleans' serializer as between silos.
/// Only <see cref="GetGrain{TGrainInterface}(string, string?)"/> for the throttling grains is offered.
/// </summary>
public sealed class InMemoryGrains(ThrottlePolicy policy, TimeProvider time) : IGrainFactory
{
    private readonly Dictionary<GrainKey, (byte[] State, DateTimeOffset Expires)> _states = new();
    private readonly ThrottlePolicy _policy = policy;
    private readonly TimeProvider _time = time;

    /// <summary>Every grain call made, in order, with the grain's method name (its <c>[Alias]</c>).</summary>
    public List<(GrainKey Grain, string Method)> Calls { get; } = [];

    public TGrainInterface GetGrain<TGrainInterface>(string primaryKey, string? grainClassNamePrefix = null)
        where TGrainInterface : IGrainWithStringKey
    {
        ArgumentNullException.ThrowIfNull(primaryKey);
        if (grainClassNamePrefix is not null) throw Unsupported();
        object grain = typeof(TGrainInterface) switch
        {
            var t when t == typeof(IAccountGrain) => new AccountGrain(this, primaryKey),
            var t when t == typeof(IIpGrain) => new SourceGrain(this, new GrainKey(GrainKinds.Ip, primaryKey), _policy.Ip),
            var t when t == typeof(INetworkGrain) => new SourceGrain(this, new GrainKey(GrainKinds.Network, primaryKey), _policy.Network),
            var t when t == typeof(IDomainGrain) => new DomainGrain(this, primaryKey),
            var t when t == typeof(IGlobalGrain) => new GlobalGrain(this, primaryKey),
            _ => throw new NotSupportedException($"The in-memory grains have no {typeof(TGrainInterface).Name}."),
        };
        return (TGrainInterface)grain;
    }

    /// <summary>The stored bytes of a grain now, or null if it has none.</summary>
    public byte[]? State(string kind, string key) =>
        _states.TryGetValue(new GrainKey(kind, key), out var entry) && entry.Expires > _time.GetUtcNow() ? entry.State : null;

    /// <summary>Gives grain <paramref name="to"/> the stored state of grain <paramref name="from"/>.</summary>
    public void CopyState(string kind, string from, string to) => _states[new GrainKey(kind, to)] = _states[new GrainKey(kind, from)];

    public InMemoryGrains CopyStatesFrom(InMemoryGrains other)
    {
        foreach (var (grain, entry) in other._states) _states[grain] = entry;
        return this;
    }

    public TGrainInterface GetGrain<TGrainInterface>(Guid primaryKey, string? grainClassNamePrefix = null) where TGrainInterface : IGrainWithGuidKey => throw Unsupported();

    public TGrainInterface GetGrain<TGrainInterface>(long primaryKey, string? grainClassNamePrefix = null) where TGrainInterface : IGrainWithIntegerKey => throw Unsupported();

    public TGrainInterface GetGrain<TGrainInterface>(Guid primaryKey, string keyExtension, string? grainClassNamePrefix = null) where TGrainInterface : IGrainWithGuidCompoundKey => throw Unsupported();

    public TGrainInterface GetGrain<TGrainInterface>(long primaryKey, string keyExtension, string? grainClassNamePrefix = null) where TGrainInterface : IGrainWithIntegerCompoundKey => throw Unsupported();

    public TGrainObserverInterface CreateObjectReference<TGrainObserverInterface>(IGrainObserver obj) where TGrainObserverInterface : IGrainObserver => throw Unsupported();

    public void DeleteObjectReference<TGrainObserverInterface>(IGrainObserver obj) where TGrainObserverInterface : IGrainObserver => throw Unsupported();

    public IGrain GetGrain(Type grainInterfaceType, Guid grainPrimaryKey) => throw Unsupported();

    public IGrain GetGrain(Type grainInterfaceType, long grainPrimaryKey) => throw Unsupported();

    public IGrain GetGrain(Type grainInterfaceType, string grainPrimaryKey) => throw Unsupported();

    public IGrain GetGrain(Type grainInterfaceType, Guid grainPrimaryKey, string keyExtension) => throw Unsupported();

    public IGrain GetGrain(Type grainInterfaceType, long grainPrimaryKey, string keyExtension) => throw Unsupported();

    public TGrainInterface GetGrain<TGrainInterface>(GrainId grainId) where TGrainInterface : IAddressable => throw Unsupported();

    public IAddressable GetGrain(GrainId grainId) => throw Unsupported();

    public IAddressable GetGrain(GrainId grainId, GrainInterfaceType interfaceType) => throw Unsupported();

    public IAddressable GetGrain(Type interfaceType, IdSpan grainKey, string grainClassNamePrefix) => throw Unsupported();

    public IAddressable GetGrain(Type interfaceType, IdSpan grainKey) => throw Unsupported();

    private static NotSupportedException Unsupported() =>
        new("The in-memory grains offer only GetGrain<T>(string key) for the throttling grain interfaces.");

    /// <summary>One call's turn, as <see cref="WriteThroughGrain{TState, TCommand, TResult}"/> takes it: read, apply, persist if changed, answer.</summary>
    private abstract class InMemoryGrain<TState, TCommand, TResult>(InMemoryGrains grains, GrainKey id)
        where TState : class
    {
        protected abstract TState Initial { get; }

        protected abstract (TState State, TResult Result) Apply(TState state, TCommand command, DateTimeOffset now);

        protected abstract TimeSpan TimeToLive(TState state, DateTimeOffset now);

        protected abstract byte[] Serialize(TState state);

        protected abstract TState Deserialize(ReadOnlyMemory<byte> bytes);

        protected DateTimeOffset Now => grains._time.GetUtcNow();

        protected TState Current => grains.State(id.Kind, id.Key) is { } bytes ? Deserialize(bytes) : Initial;

        protected static T Across<T>(T value) => OrleansWire.Across(value);

        protected void Record(string method) => grains.Calls.Add((id, method));

        protected Task<TResult> Run(string method, TCommand command)
        {
            Record(method);
            try
            {
                var now = Now;
                var before = Current;
                var (state, result) = Apply(before, command, now);
                if (!state.Equals(before)) Persist(state, now);
                return Task.FromResult(Across(result));
            }
            catch (Exception ex)
            {
                return Task.FromException<TResult>(ex);
            }
        }

        public Task<GrainInspection> Inspect() => throw new NotSupportedException("The in-memory grains are inspected through InMemoryGrains.State.");

        private void Persist(TState state, DateTimeOffset now)
        {
            var ttl = TimeToLive(state, now);
            if (ttl > TimeSpan.Zero) grains._states[id] = (Serialize(state), now + ttl);
            else grains._states.Remove(id);
        }
    }

    private sealed class AccountGrain(InMemoryGrains grains, string key)
        : InMemoryGrain<AccountState, AccountCommand, AccountResult>(grains, new GrainKey(GrainKinds.Account, key)), IAccountGrain
    {
        private readonly AccountPolicy _policy = grains._policy.Account;

        protected override AccountState Initial => AccountLogic.Initial;

        protected override (AccountState State, AccountResult Result) Apply(AccountState state, AccountCommand command, DateTimeOffset now) =>
            AccountLogic.Apply(_policy, state, command, now);

        protected override TimeSpan TimeToLive(AccountState state, DateTimeOffset now) => AccountLogic.TimeToLive(_policy, state, now);

        protected override byte[] Serialize(AccountState state) => AccountLogic.Serialize(state);

        protected override AccountState Deserialize(ReadOnlyMemory<byte> bytes) => AccountLogic.Deserialize(bytes);

        public Task<AccountResult> Request() => Run("request", AccountCommand.Request.Instance);

        public Task Redeemed() => Run("redeemed", AccountCommand.Redeemed.Instance);

        public Task SetListing(Listing listing) => Run("set-listing", new AccountCommand.SetListing(Across(listing)));
    }

    private sealed class SourceGrain(InMemoryGrains grains, GrainKey id, SourcePolicy policy)
        : InMemoryGrain<SourceState, SourceCommand, SourceResult>(grains, id), IIpGrain, INetworkGrain
    {
        protected override SourceState Initial => SourceLogic.Initial;

        protected override (SourceState State, SourceResult Result) Apply(SourceState state, SourceCommand command, DateTimeOffset now) =>
            SourceLogic.Apply(policy, state, command, now);

        protected override TimeSpan TimeToLive(SourceState state, DateTimeOffset now) => SourceLogic.TimeToLive(policy, state, now);

        protected override byte[] Serialize(SourceState state) => SourceLogic.Serialize(state);

        protected override SourceState Deserialize(ReadOnlyMemory<byte> bytes) => SourceLogic.Deserialize(bytes);

        public Task<SourceResult> Reserve(ulong accountHash) => Run("reserve", new SourceCommand.Reserve(accountHash));

        public Task<SourceResult> Peek() => Run("peek", SourceCommand.Peek.Instance);

        public Task Release(Receipt receipt) => Run("release", new SourceCommand.Release(Across(receipt)));

        public Task SetListing(Listing listing) => Run("set-listing", new SourceCommand.SetListing(Across(listing)));
    }

    private sealed class DomainGrain(InMemoryGrains grains, string key)
        : InMemoryGrain<DomainState, DomainCommand, BudgetResult>(grains, new GrainKey(GrainKinds.Domain, key)), IDomainGrain
    {
        private readonly ThrottlePolicy _policy = grains._policy;

        protected override DomainState Initial => DomainLogic.Initial;

        protected override (DomainState State, BudgetResult Result) Apply(DomainState state, DomainCommand command, DateTimeOffset now) =>
            DomainLogic.Apply(_policy, state, command, now);

        protected override TimeSpan TimeToLive(DomainState state, DateTimeOffset now) => DomainLogic.TimeToLive(_policy.Domain, state, now);

        protected override byte[] Serialize(DomainState state) => DomainLogic.Serialize(state);

        protected override DomainState Deserialize(ReadOnlyMemory<byte> bytes) => DomainLogic.Deserialize(bytes);

        public Task<BudgetResult> Reserve(bool cleanSource, int look) => Run("reserve", new DomainCommand.Reserve(cleanSource, look));

        public Task Release(Receipt receipt) => Run("release", new DomainCommand.Release(Across(receipt)));

        public Task SetListing(Listing listing) => Run("set-listing", new DomainCommand.SetListing(Across(listing)));
    }

    private sealed class GlobalGrain(InMemoryGrains grains, string key)
        : InMemoryGrain<GlobalState, GlobalCommand, BudgetResult>(grains, new GrainKey(GrainKinds.Global, key)), IGlobalGrain
    {
        private readonly GlobalPolicy _policy = grains._policy.Global;

        protected override GlobalState Initial => GlobalLogic.Initial;

        protected override (GlobalState State, BudgetResult Result) Apply(GlobalState state, GlobalCommand command, DateTimeOffset now) =>
            GlobalLogic.Apply(_policy, state, command, now);

        protected override TimeSpan TimeToLive(GlobalState state, DateTimeOffset now) => GlobalLogic.TimeToLive(_policy, state, now);

        protected override byte[] Serialize(GlobalState state) => GlobalLogic.Serialize(state);

        protected override GlobalState Deserialize(ReadOnlyMemory<byte> bytes) => GlobalLogic.Deserialize(bytes);

        public Task<BudgetResult> Reserve(bool cleanSource, int look) => Run("reserve", new GlobalCommand.Reserve(cleanSource, look));

        public Task Release(Receipt receipt) => Run("release", new GlobalCommand.Release(Across(receipt)));

        public Task<GlobalStatus> Status()
        {
            Record("status");
            return Task.FromResult(Across(new GlobalStatus(GlobalLogic.Stage(Current, Now), _policy.PerMinute)));
        }
    }
}
