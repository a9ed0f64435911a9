using ThrottleCluster.Reliability.Tests.Support;

namespace ThrottleCluster.Reliability.Tests;

/// <summary>
/// No SMTP server listens while resets are accepted: every accepted email waits in the outbox in
/// Garnet; once a server listens, each is delivered exactly once.
/// </summary>
[Collection(OutboxFaultCollection.Name)]
public sealed class OutboxSmtpOutageTests
{
    private const int Emails = 12;

    [Fact]
    public async Task Emails_accepted_while_SMTP_is_down_wait_in_the_outbox_and_are_delivered_once_when_it_is_back()
    {
        await using var rig = await OutboxRig.StartAsync(Emails, new Dictionary<string, string>
        {
            ["Outbox:Concurrency"] = "4",
            ["Outbox:RetryDelay"] = "00:00:00.2",
            ["Outbox:MaxRetryDelay"] = "00:00:01",
            ["Outbox:MaxAttempts"] = "100", // the outage outlasts the attempts of a short backoff
            ["Email:Smtp:Timeout"] = "00:00:10",
        });

        // Connection refused on every attempt.
        for (var i = 0; i < Emails; i++) await rig.RequestResetAsync(i);
        var waiting = await OutboxRig.WaitForAsync(rig.ReadOutboxAsync, o => o.Undelivered == Emails, TimeSpan.FromSeconds(30), $"{Emails} emails in the outbox");
        Assert.Equal(0, waiting.Dead);
        // Some attempts have failed and been put back, none was lost or dropped.
        await OutboxRig.WaitForAsync(() => rig.MetricAsync("tc_outbox_retried_total"), r => r >= Emails, TimeSpan.FromSeconds(30), "every email retried at least once");
        Assert.Equal(Emails, (await rig.ReadOutboxAsync()).Undelivered);
        Assert.Empty(rig.Smtp.Received);

        rig.Smtp.Start();
        var delivered = await rig.Smtp.WaitForRecipientsAsync(Enumerable.Range(0, Emails).Select(OutboxRig.Email), TimeSpan.FromSeconds(30));

        // Once nothing is left to send, nothing more can be sent: the count at the server is final.
        var drained = await OutboxRig.WaitForAsync(rig.ReadOutboxAsync, o => o.Undelivered == 0, TimeSpan.FromSeconds(30), "outbox empty");
        Assert.Equal(new OutboxLists(0, 0, 0, 0, 0), drained);
        delivered = rig.Smtp.CountByRecipient();
        Assert.Equal(Emails, delivered.Count);
        Assert.All(delivered, pair => Assert.Equal(1, pair.Value));
        Assert.Equal(Emails, rig.Smtp.Received.Count);
        Assert.Equal(Emails, await rig.MetricAsync("tc_outbox_sent_total"));
    }
}
