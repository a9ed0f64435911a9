using ThrottleCluster.Grains.Abstractions;
using ThrottleCluster.Grains.Storage;

namespace ThrottleCluster.Grains;

/// <summary><see cref="SourceLogic"/> as a grain; the ip and network grains differ only in their policy.</summary>
public abstract class SourceGrain(IPersistentState<Stored<SourceState>> state, TimeProvider time)
    : WriteThroughGrain<SourceState, SourceCommand, SourceResult>(state, time), ISourceGrain
{
    protected abstract SourcePolicy Policy { get; }

    protected override SourceState Initial => SourceLogic.Initial;

    protected override (SourceState State, SourceResult Result) Apply(SourceState state, SourceCommand command, DateTimeOffset now)
        => SourceLogic.Apply(Policy, state, command, now);

    protected override TimeSpan TimeToLive(SourceState state, DateTimeOffset now) => SourceLogic.TimeToLive(Policy, state, now);

    public Task<SourceResult> Reserve(ulong accountHash) => Run(new SourceCommand.Reserve(accountHash));

    public Task<SourceResult> Peek() => Run(SourceCommand.Peek.Instance);

    public Task Release(Receipt receipt) => Run(new SourceCommand.Release(receipt));

    public Task SetListing(Listing listing) => Run(new SourceCommand.SetListing(listing));
}
