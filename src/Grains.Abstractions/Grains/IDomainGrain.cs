namespace ThrottleCluster.Grains.Abstractions;

/// <summary>One recipient email domain's sending budget (key: <see cref="ThrottleKeys.Domain"/>).</summary>
[Alias("tc.domain")]
public interface IDomainGrain : IInspectableGrain
{
    /// <param name="cleanSource">Both the IP and the network reported a clean record.</param>
    /// <param name="look">The attempt's <see cref="ResetAttempt.Look"/>: how often it was deferred already.</param>
    [Alias("reserve")]
    Task<BudgetResult> Reserve(bool cleanSource, int look);

    [Alias("release")]
    Task Release(Receipt receipt);

    [Alias("set-listing")]
    Task SetListing(Listing listing);
}
