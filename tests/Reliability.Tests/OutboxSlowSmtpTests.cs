using ThrottleCluster.Reliability.Tests.Support;
using Xunit.Abstractions;

namespace ThrottleCluster.Reliability.Tests;

/// <summary>
/// An SMTP server slower than <c>Email:Smtp:Timeout</c>: the Api gives up on the attempt, retries
/// with backoff and delivers once the server is quick again. Delivery is at least once: when the
/// server had already stored the message and only its reply was late, the retry is a duplicate;
/// the test counts them. A server that hangs before the message, and a normal one, deliver once.
/// </summary>
[Collection(OutboxFaultCollection.Name)]
public sealed class OutboxSlowSmtpTests(OutboxCluster cluster, ITestOutputHelper output)
{
    private const int EmailsPerPhase = 4;
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(45);

    [Fact]
    public async Task Timed_out_sends_are_retried_with_backoff_until_delivered_and_only_a_reply_lost_after_the_data_duplicates()
    {
        await using var rig = await OutboxRig.StartAsync(cluster, 3 * EmailsPerPhase, new Dictionary<string, string>
        {
            ["Outbox:Concurrency"] = "4",
            ["Outbox:RetryDelay"] = "00:00:00.5",
            ["Outbox:MaxRetryDelay"] = "00:00:01",
            ["Outbox:MaxAttempts"] = "50",
            ["Email:Smtp:Timeout"] = "00:00:02",
            ["Outbox:VisibilityTimeout"] = "00:00:05",
        });
        rig.Smtp.Delay = TimeSpan.FromSeconds(4); // twice the Api's SMTP timeout
        rig.Smtp.Start();

        // 1. The server stores each message, then answers too late.
        var late = Phase(0);
        rig.Smtp.Behaviour = SmtpFaultBehaviour.SlowReplyAfterData;
        foreach (var account in late) await rig.RequestResetAsync(account);
        var lateRetries = await WaitForRetriesAsync(rig, EmailsPerPhase);
        rig.Smtp.Behaviour = SmtpFaultBehaviour.Accept;
        var afterLate = await DeliveredAsync(rig, late);
        var lateMessages = afterLate.Values.Sum();
        var lateRetriesTotal = await rig.MetricAsync("tc_outbox_retried_total");

        // 2. The server hangs before the message: nothing is stored by a timed-out attempt.
        var hung = Phase(1);
        rig.Smtp.Behaviour = SmtpFaultBehaviour.Silent;
        foreach (var account in hung) await rig.RequestResetAsync(account);
        var hungRetries = await WaitForRetriesAsync(rig, lateRetriesTotal + EmailsPerPhase) - lateRetriesTotal;
        rig.Smtp.Behaviour = SmtpFaultBehaviour.Accept;
        var afterHung = await DeliveredAsync(rig, hung);

        // 3. A normal server.
        var normal = Phase(2);
        foreach (var account in normal) await rig.RequestResetAsync(account);
        var afterNormal = await DeliveredAsync(rig, normal);

        output.WriteLine($"late reply after DATA: {EmailsPerPhase} emails, {lateMessages} messages stored by the server " +
                         $"({lateMessages - EmailsPerPhase} duplicates), {lateRetriesTotal} retries (at least {lateRetries} seen before the server was quick again)");
        output.WriteLine($"hung before DATA: {EmailsPerPhase} emails, {afterHung.Values.Sum()} messages, {hungRetries} retries");
        output.WriteLine($"normal: {EmailsPerPhase} emails, {afterNormal.Values.Sum()} messages");

        // Every email arrived; a duplicate needs a stored message whose reply came too late, so
        // there are at most as many as timed-out attempts, and here at least one.
        Assert.All(afterLate.Values, n => Assert.True(n >= 1));
        Assert.InRange(lateMessages - EmailsPerPhase, 1, (long)lateRetriesTotal);
        Assert.All(afterHung.Values, n => Assert.Equal(1, n));
        Assert.All(afterNormal.Values, n => Assert.Equal(1, n));
        Assert.Equal(new OutboxLists(0, 0, 0, 0, 0), await rig.ReadOutboxAsync());
    }

    private static int[] Phase(int phase) => Enumerable.Range(phase * EmailsPerPhase, EmailsPerPhase).ToArray();

    private static async Task<double> WaitForRetriesAsync(OutboxRig rig, double atLeast)
        => (await OutboxRig.WaitForAsync(() => rig.MetricAsync("tc_outbox_retried_total"), r => r >= atLeast, Settle, $"{atLeast} retries"));

    /// <summary>Messages per recipient of <paramref name="accounts"/>, once the outbox holds nothing more to send.</summary>
    private static async Task<Dictionary<string, int>> DeliveredAsync(OutboxRig rig, int[] accounts)
    {
        var emails = accounts.Select(rig.Email).ToList();
        await rig.Smtp.WaitForRecipientsAsync(emails, Settle);
        await OutboxRig.WaitForAsync(rig.ReadOutboxAsync, o => o.Undelivered == 0, Settle, "outbox empty");
        var counts = rig.Smtp.CountByRecipient();
        return emails.ToDictionary(e => e, e => counts.GetValueOrDefault(e));
    }
}
