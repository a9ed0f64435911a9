namespace ThrottleCluster.Silo;

/// <summary>
/// Polls the policy grain every <c>Throttle:PolicyRefresh</c> (default 1 s), so a change made on
/// any silo is in force on this one within that interval. Polling, not notification: the engine
/// may be Garnet or Redis, single node or cluster, and a read of one small key a second is cheap.
/// </summary>
public sealed class LivePolicyRefresh(LivePolicy live, PolicyRefreshInterval interval, TimeProvider time, ILogger<LivePolicyRefresh> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(interval.Value, time);
        var failing = false;
        do
        {
            try
            {
                await live.RefreshAsync(stoppingToken);
                if (failing) logger.LogInformation("The live policy can be read again.");
                failing = false;
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                // Logged once per outage: the storage health endpoint reports the engine itself.
                if (!failing) logger.LogWarning("The live policy could not be read; deciding with the policy in force: {Reason}", ex.Message);
                failing = true;
            }
        }
        while (await WaitAsync(timer, stoppingToken));
    }

    private static async Task<bool> WaitAsync(PeriodicTimer timer, CancellationToken ct)
    {
        try
        {
            return await timer.WaitForNextTickAsync(ct);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }
}
