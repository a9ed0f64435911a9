using ThrottleCluster.Api.Accounts;
using ThrottleCluster.Api.Outbox;

namespace ThrottleCluster.Api.Endpoints;

/// <summary>Queues the reset email for an account the gate let through; the dispatcher makes the token and sends it.</summary>
public sealed class ResetEmails(IOutbox outbox, OutboxStatistics statistics, TimeProvider time, ILogger<ResetEmails> log)
{
    /// <summary>Never throws: the request was answered already, so a failure is counted and logged.</summary>
    public async Task QueueAsync(Account account)
    {
        try
        {
            await outbox.EnqueueAsync(ResetEmailJob.Create(account.AccountId, account.Email, time.GetUtcNow()), CancellationToken.None);
        }
        catch (Exception ex)
        {
            statistics.OnEnqueueFailed();
            log.LogError(ex, "A reset email for an accepted request could not be queued; the user has to ask again");
        }
    }
}
