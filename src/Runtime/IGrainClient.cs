namespace ThrottleCluster.Runtime;

/// <summary>Calls a grain wherever it lives: in this process or on a silo across the network.</summary>
public interface IGrainClient
{
    Task<TResult> CallAsync<TCommand, TResult>(GrainId id, TCommand command, CancellationToken cancellationToken = default);
}
