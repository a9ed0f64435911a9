using ThrottleCluster.Grains.Abstractions;
using ThrottleCluster.Runtime;

namespace ThrottleCluster.Silo;

/// <summary>
/// The gate's grain calls, served by this silo's own activations. Call ids are not passed on: the
/// gate and its grains share a process, so no answer can be lost between them, and a receipt per
/// call would cost the engine a key per call. The turn's time is the runtime's clock.
/// </summary>
public sealed class RuntimeGrainCalls(IGrainClient grains) : IGrainCalls
{
    public Task<TResult> CallAsync<TCommand, TResult>(string kind, string key, string callId, TCommand command, DateTimeOffset now, CancellationToken ct)
        => grains.CallAsync<TCommand, TResult>(new GrainId(kind, key), command, ct);
}
