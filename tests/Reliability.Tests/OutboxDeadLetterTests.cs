using ThrottleCluster.Reliability.Tests.Support;
using Xunit.Abstractions;

namespace ThrottleCluster.Reliability.Tests;

/// <summary>
/// An SMTP server that refuses recipients: a 550 dead-letters the email at once, a 451 after
/// <c>Outbox:MaxAttempts</c>; operators see them in /metrics, and the dead list keeps only the newest
/// <c>Outbox:MaxDeadLetters</c>, counting what it drops.
/// </summary>
[Collection(OutboxFaultCollection.Name)]
public sealed class OutboxDeadLetterTests(OutboxCluster cluster, ITestOutputHelper output)
{
    private const int MaxAttempts = 3;
    private const int MaxDeadLetters = 4;

    [Fact]
    public async Task Refused_emails_end_in_a_capped_dead_list_after_their_attempts_and_metrics_show_it()
    {
        await using var rig = await OutboxRig.StartAsync(cluster, 6, new Dictionary<string, string>
        {
            ["Outbox:Concurrency"] = "2",
            ["Outbox:RetryDelay"] = "00:00:00.2",
            ["Outbox:MaxRetryDelay"] = "00:00:00.4",
            ["Outbox:MaxAttempts"] = MaxAttempts.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Outbox:MaxDeadLetters"] = MaxDeadLetters.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Email:Smtp:Timeout"] = "00:00:10",
        });
        rig.Smtp.Start();

        // 451: retried, dead after the last attempt.
        rig.Smtp.Behaviour = SmtpFaultBehaviour.RefuseRecipientTemporarily;
        for (var i = 0; i < 3; i++) await rig.RequestResetAsync(i);
        var temporary = await OutboxRig.WaitForAsync(rig.ReadOutboxAsync, o => o.Dead == 3, TimeSpan.FromSeconds(30), "3 dead letters");
        Assert.Equal(0, temporary.Undelivered);
        Assert.All(await rig.ReadDeadLettersAsync(), dead =>
        {
            Assert.Equal(MaxAttempts, dead.Attempts);
            Assert.Contains("4.3.0 try again later", dead.LastError); // the server's own reason, for operators
        });

        // 550: no retry. Two more dead letters than the cap holds: the oldest two are dropped.
        rig.Smtp.Behaviour = SmtpFaultBehaviour.RefuseRecipientPermanently;
        for (var i = 3; i < 6; i++) await rig.RequestResetAsync(i);
        var capped = await OutboxRig.WaitForAsync(rig.ReadOutboxAsync, o => o.Dead + o.DeadDropped == 6, TimeSpan.FromSeconds(30), "6 dead letters");
        Assert.Equal(new OutboxLists(0, 0, 0, MaxDeadLetters, 6 - MaxDeadLetters), capped);
        var kept = await rig.ReadDeadLettersAsync();
        Assert.Equal(3, kept.Count(d => d.Attempts == 1 && d.LastError!.Contains("refused the recipient", StringComparison.Ordinal)));
        Assert.Equal(1, kept.Count(d => d.Attempts == MaxAttempts));
        Assert.Empty(rig.Smtp.Received);

        // What an operator's scrape shows (refreshed by the dispatcher at least once a second).
        // Both gauges come from the dispatcher's last read of the lists, which may predate the sixth dead letter.
        await OutboxRig.WaitForAsync(() => rig.MetricAsync("tc_outbox_jobs{state=\"dead\"}"), v => v == MaxDeadLetters, TimeSpan.FromSeconds(10), "dead gauge");
        await OutboxRig.WaitForAsync(() => rig.MetricAsync("tc_outbox_dead_dropped"), v => v == 6 - MaxDeadLetters, TimeSpan.FromSeconds(10), "dropped gauge");
        Assert.Equal(0, await rig.MetricAsync("tc_outbox_jobs{state=\"pending\"}"));
        Assert.Equal(6, await rig.MetricAsync("tc_outbox_dead_lettered_total"));
        Assert.Equal(3 * (MaxAttempts - 1), await rig.MetricAsync("tc_outbox_retried_total"));
        output.WriteLine($"3 emails refused with 451 and 3 with 550: {capped}; dead letters kept: " +
                         string.Join(", ", kept.Select(d => $"{d.Attempts} attempt(s)")) + $"; messages at the server: {rig.Smtp.Received.Count}");
    }
}
