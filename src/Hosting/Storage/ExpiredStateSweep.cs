namespace ThrottleCluster.Hosting.Storage;

/// <summary>Deletes expired grain state from an Azure table every interval; tables keep rows until told.</summary>
internal sealed class ExpiredStateSweep(AzureTableStateStorage storage, TimeSpan interval, TimeProvider time, ILogger<ExpiredStateSweep> logger)
    : PeriodicRefresh(interval, time, logger)
{
    protected override string What => "Expired grain state";

    public override async Task RefreshAsync(CancellationToken ct)
    {
        var deleted = await storage.SweepExpiredAsync(ct);
        if (deleted > 0) Logger.LogInformation("Deleted {Count} expired grain states", deleted);
    }
}
