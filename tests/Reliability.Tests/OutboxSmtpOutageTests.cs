using System.Diagnostics;
using ThrottleCluster.Reliability.Tests.Support;
using Xunit.Abstractions;

namespace ThrottleCluster.Reliability.Tests;

/// <summary>
/// No SMTP server listens while resets are accepted: every accepted email waits in the outbox in
/// Garnet; once a server listens, each is delivered exactly once.
/// </summary>
[Collection(OutboxFaultCollection.Name)]
public sealed class OutboxSmtpOutageTests(OutboxCluster cluster, ITestOutputHelper output)
{
    private const int Emails = 12;

    [Fact]
    public async Task Emails_accepted_while_SMTP_is_down_wait_in_the_outbox_and_are_delivered_once_when_it_is_back()
    {
        await using var rig = await OutboxRig.StartAsync(cluster, Emails, new Dictionary<string, string>
        {
            ["Outbox:Concurrency"] = "4",
            ["Outbox:RetryDelay"] = "00:00:00.2",
            ["Outbox:MaxRetryDelay"] = "00:00:01",
            ["Outbox:MaxAttempts"] = "100", // the outage outlasts the attempts of a short backoff
            ["Email:Smtp:Timeout"] = "00:00:10",
        });

        // Connection refused on every attempt.
        var outage = Stopwatch.StartNew();
        for (var i = 0; i < Emails; i++) await rig.RequestResetAsync(i);
        var waiting = await OutboxRig.WaitForAsync(rig.ReadOutboxAsync, o => o.Undelivered == Emails, TimeSpan.FromSeconds(30), $"{Emails} emails in the outbox");
        Assert.Equal(0, waiting.Dead);
        // Attempts fail and are put back, three per email on average, and none is lost or dropped.
        await OutboxRig.WaitForAsync(() => rig.MetricAsync("tc_outbox_retried_total"), r => r >= 3 * Emails, TimeSpan.FromSeconds(30), "three failed attempts per email");
        var beforeStart = await rig.ReadOutboxAsync();
        var retriesWhileDown = await rig.MetricAsync("tc_outbox_retried_total");
        Assert.Equal(Emails, beforeStart.Undelivered);
        Assert.Equal(0, beforeStart.Dead);
        Assert.Empty(rig.Smtp.Received);
        outage.Stop();

        rig.Smtp.Start();
        var delivered = await rig.Smtp.WaitForRecipientsAsync(Enumerable.Range(0, Emails).Select(rig.Email), TimeSpan.FromSeconds(30));

        // Once nothing is left to send, nothing more can be sent: the count at the server is final.
        var drained = await OutboxRig.WaitForAsync(rig.ReadOutboxAsync, o => o.Undelivered == 0, TimeSpan.FromSeconds(30), "outbox empty");
        Assert.Equal(new OutboxLists(0, 0, 0, 0, 0), drained);
        delivered = rig.Smtp.CountByRecipient();
        Assert.Equal(Emails, delivered.Count);
        Assert.All(delivered, pair => Assert.Equal(1, pair.Value));
        Assert.Equal(Emails, rig.Smtp.Received.Count);
        Assert.Equal(Emails, await rig.MetricAsync("tc_outbox_sent_total"));
        output.WriteLine($"SMTP down {outage.Elapsed.TotalSeconds:0.0} s: {beforeStart}, {retriesWhileDown} failed attempts retried; " +
                         $"server started: {rig.Smtp.Received.Count} messages for {delivered.Count} recipients, max {delivered.Values.Max()} each; outbox after: {drained}");
    }
}
