namespace ThrottleCluster.Runtime.Client;

/// <summary>
/// A silo's way to call grains: kinds named hot are sent to the silo that ranks first for the grain
/// (rendezvous hashing over the cluster's silos), so one activation takes all their calls and
/// batches them instead of several silos fighting over the same compare-and-set; every other kind
/// is served by this silo's own activations. Placement is an optimisation: if the owner is down,
/// the next silo serves the grain and storage keeps it exact.
/// </summary>
public sealed class RoutingGrainClient(GrainRuntime local, ClusterClient cluster, int selfIndex, IReadOnlySet<string> routedKinds) : IGrainClient
{
    public Task<TResult> CallAsync<TCommand, TResult>(GrainId id, TCommand command, CancellationToken cancellationToken = default)
        => routedKinds.Contains(id.Kind) && cluster.PreferredSilo(id) != selfIndex
            ? cluster.CallAsync<TCommand, TResult>(id, command, cancellationToken)
            : local.CallAsync<TCommand, TResult>(id, command, cancellationToken);
}
