using ThrottleCluster.Api.Outbox;
using ThrottleCluster.Reliability.Tests.Support;

namespace ThrottleCluster.Reliability.Tests;

/// <summary>
/// A hung SMTP server, with <c>Email:Smtp:Timeout</c> nearly as long as <c>Outbox:VisibilityTimeout</c>:
/// each attempt is abandoned at <see cref="OutboxDispatcher.AttemptShareOfLease"/> of the lease,
/// before the SMTP timeout and before any worker could take the job back and send it a second time.
/// </summary>
[Collection(OutboxFaultCollection.Name)]
public sealed class OutboxLeaseTests(OutboxCluster cluster)
{
    private const int Emails = 3;

    [Fact]
    public async Task An_attempt_is_abandoned_inside_its_lease_so_no_job_is_ever_taken_back_from_a_live_worker()
    {
        await using var rig = await OutboxRig.StartAsync(cluster, Emails, new Dictionary<string, string>
        {
            ["Outbox:Concurrency"] = "4",
            ["Outbox:MaxAttempts"] = "2",
            ["Outbox:RetryDelay"] = "00:00:00.2",
            ["Outbox:MaxRetryDelay"] = "00:00:00.5",
            ["Email:Smtp:Timeout"] = "00:00:04.5",
            ["Outbox:VisibilityTimeout"] = "00:00:05",
        });
        rig.Smtp.Behaviour = SmtpFaultBehaviour.Silent;
        rig.Smtp.Start();

        for (var account = 0; account < Emails; account++) await rig.RequestResetAsync(account);
        var dead = await OutboxRig.WaitForAsync(rig.ReadDeadLettersAsync, d => d.Count == Emails, TimeSpan.FromSeconds(60), $"{Emails} dead letters");

        // Abandoned by the lease's bound (4 s), not by the SMTP timeout (4.5 s): the reason says which.
        Assert.All(dead, letter => Assert.Contains("of Outbox:VisibilityTimeout", letter.LastError));
        Assert.Equal(0, await rig.MetricAsync("tc_outbox_recovered_total"));
        Assert.Equal(2 * Emails, await rig.MetricAsync("tc_outbox_retried_total") + await rig.MetricAsync("tc_outbox_dead_lettered_total"));
        Assert.Empty(rig.Smtp.Received);
    }
}
