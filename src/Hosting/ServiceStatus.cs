using ThrottleCluster.Grains.Abstractions;

namespace ThrottleCluster.Hosting;

/// <summary>
/// What an operator sees of the service as a whole, as this host last observed it: the body of
/// <c>GET /v1/status</c> and what the Api's dashboard and gauges show. Aggregates only: no keys,
/// no addresses, no emails.
/// </summary>
/// <param name="BreakerStage">The global surge breaker: 0 normal, 1 tightened, 2 shed.</param>
/// <param name="Breaker">The same stage by name.</param>
/// <param name="GlobalBudgetPerMinute">The global email budget of the policy in force.</param>
/// <param name="GrantedLastMinute">Decisions of this host that let an email go (verdict Send) over the last minute.</param>
/// <param name="ObservedAt">When the global grain was last asked.</param>
public sealed record ServiceStatus(int BreakerStage, SurgeStage Breaker, int GlobalBudgetPerMinute, long GrantedLastMinute, DateTimeOffset ObservedAt)
{
    public static ServiceStatus Of(SurgeStage stage, int budgetPerMinute, long grantedLastMinute, DateTimeOffset observedAt)
        => new((int)stage, stage, budgetPerMinute, grantedLastMinute, observedAt);
}

/// <summary>The latest <see cref="ServiceStatus"/> this process knows, refreshed in the background; null until the first answer.</summary>
public interface IGlobalStatus
{
    ServiceStatus? Current { get; }
}
