using ThrottleCluster.Grains;

namespace ThrottleCluster.Silo;

/// <summary>
/// What an operator sees of the service as a whole, as one silo last observed it: the body of
/// <c>GET /v1/status</c> and what the Api's dashboard and gauges show. Aggregates only: no keys,
/// no addresses, no emails.
/// </summary>
/// <param name="BreakerStage">The global surge breaker: 0 normal, 1 tightened, 2 shed.</param>
/// <param name="Breaker">The same stage by name.</param>
/// <param name="GlobalBudgetPerMinute">The global email budget of the policy in force.</param>
/// <param name="GrantedLastMinute">Decisions that let an email go (verdict Send) over the last minute, by the silos that answered.</param>
/// <param name="ObservedAt">When the breaker was read from grain storage (the oldest read when several silos answered).</param>
/// <param name="Silos">How many silos this status comes from.</param>
public sealed record SiloStatus(int BreakerStage, SurgeStage Breaker, int GlobalBudgetPerMinute, long GrantedLastMinute, DateTimeOffset ObservedAt, int Silos = 1)
{
    public static SiloStatus Of(SurgeStage stage, int budgetPerMinute, long grantedLastMinute, DateTimeOffset observedAt)
        => new((int)stage, stage, budgetPerMinute, grantedLastMinute, observedAt);

    /// <summary>
    /// Several silos' answers as one: they read the same breaker from shared storage, so the highest
    /// stage is the newest news; grants add up, since each silo counts only its own decisions.
    /// </summary>
    public static SiloStatus? Combine(IReadOnlyCollection<SiloStatus> answers)
    {
        if (answers.Count == 0) return null;
        var stage = answers.Max(a => a.Breaker);
        return new((int)stage, stage, answers.Max(a => a.GlobalBudgetPerMinute), answers.Sum(a => a.GrantedLastMinute),
            answers.Min(a => a.ObservedAt), answers.Sum(a => a.Silos));
    }
}

/// <summary>The latest <see cref="SiloStatus"/> this process knows, refreshed in the background; null until the first read succeeds.</summary>
public interface IGlobalStatus
{
    SiloStatus? Current { get; }
}
