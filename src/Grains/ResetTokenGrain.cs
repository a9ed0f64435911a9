using Orleans.Concurrency;
using ThrottleCluster.Grains.Abstractions;
using ThrottleCluster.Grains.Abstractions.ResetTokens;
using ThrottleCluster.Grains.Storage;

namespace ThrottleCluster.Grains;

/// <summary><see cref="ResetTokenLogic"/> as a grain.</summary>
[Reentrant, GrainType(GrainKinds.ResetToken)]
public sealed class ResetTokenGrain(
    [PersistentState(GrainStorageNames.State, GrainStorageNames.Provider)] IPersistentState<Stored<ResetTokenState>> state,
    TimeProvider time)
    : WriteThroughGrain<ResetTokenState, ResetTokenCommand, ResetTokenResult>(state, time), IResetTokenGrain
{
    protected override ResetTokenState Initial => ResetTokenLogic.Initial;

    protected override (ResetTokenState State, ResetTokenResult Result) Apply(ResetTokenState state, ResetTokenCommand command, DateTimeOffset now)
        => ResetTokenLogic.Apply(state, command, now);

    protected override TimeSpan TimeToLive(ResetTokenState state, DateTimeOffset now) => ResetTokenLogic.TimeToLive(state, now);

    public Task<ResetTokenResult> Issue(byte[] hash, DateTimeOffset expiresAt) => Run(new ResetTokenCommand.Issue(hash, expiresAt));

    public Task<ResetTokenResult> Consume(byte[] hash) => Run(new ResetTokenCommand.Consume(hash));
}
