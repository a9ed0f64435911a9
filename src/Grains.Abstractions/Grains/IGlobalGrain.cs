namespace ThrottleCluster.Grains.Abstractions;

/// <summary>The service-wide email budget and surge breaker: one grain, key <see cref="GrainKinds.GlobalKey"/>.</summary>
[Alias("tc.global")]
public interface IGlobalGrain : IInspectableGrain
{
    /// <param name="cleanSource">Both the IP and the network reported a clean record.</param>
    /// <param name="look">The attempt's <see cref="ResetAttempt.Look"/>: how often it was deferred already.</param>
    [Alias("reserve")]
    Task<BudgetResult> Reserve(bool cleanSource, int look);

    [Alias("release")]
    Task Release(Receipt receipt);

    /// <summary>The breaker's stage now and the budget the grain enforces; changes nothing.</summary>
    [Alias("status")]
    Task<GlobalStatus> Status();
}

/// <param name="BudgetPerMinute">The global budget of the policy the grain's silo decides with.</param>
[GenerateSerializer, Immutable, Alias("tc.global-status")]
public sealed record GlobalStatus(SurgeStage Stage, int BudgetPerMinute);

/// <summary>The global surge breaker's stages.</summary>
[GenerateSerializer, Alias("tc.surge-stage")]
public enum SurgeStage { Normal, Tightened, Shed }
