using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ThrottleCluster.Hosting;

/// <summary>
/// Runs <see cref="RefreshAsync"/> at start and then every interval, for values that readers take
/// from a cache (gauges, status pages) instead of waiting for an engine or a peer. A failure keeps
/// the last value and is logged once per outage.
/// </summary>
public abstract class PeriodicRefresh(TimeSpan interval, TimeProvider time, ILogger logger) : BackgroundService
{
    protected TimeProvider Time => time;

    protected ILogger Logger => logger;

    /// <summary>What is refreshed, for the log ("The outbox depth").</summary>
    protected abstract string What { get; }

    public abstract Task RefreshAsync(CancellationToken ct);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(interval, time);
        var failing = false;
        do
        {
            try
            {
                await RefreshAsync(stoppingToken);
                if (failing) logger.LogInformation("{What} can be read again.", What);
                failing = false;
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                if (!failing) logger.LogWarning("{What} could not be read; keeping the last value: {Reason}", What, ex.Message);
                failing = true;
            }
        }
        while (await NextTickAsync(timer, stoppingToken));
    }

    private static async Task<bool> NextTickAsync(PeriodicTimer timer, CancellationToken ct)
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
