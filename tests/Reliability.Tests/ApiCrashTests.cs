using ThrottleCluster.Reliability.Tests.Support;
using ThrottleCluster.Tests.Support;
using Xunit.Abstractions;

namespace ThrottleCluster.Reliability.Tests;

/// <summary>
/// The Api process is SIGKILLed between accepting resets and sending them, one email in the middle
/// of its SMTP session; a new Api process on the same Garnet delivers every email, once.
/// </summary>
[Collection(OutboxFaultCollection.Name)]
public sealed class ApiCrashTests(OutboxCluster cluster, ITestOutputHelper output)
{
    private const int Emails = 3;

    [Fact]
    public async Task Emails_accepted_by_a_killed_Api_are_delivered_once_by_the_next_Api_process()
    {
        await using var rig = await OutboxRig.StartAsync(cluster, Emails, new Dictionary<string, string>
        {
            ["Outbox:Concurrency"] = "1",
            ["Outbox:RetryDelay"] = "00:00:00.2",
            ["Outbox:MaxRetryDelay"] = "00:00:00.4",
            // Long enough that the hung send is still in its session when the kill comes, even on a busy machine.
            ["Email:Smtp:Timeout"] = "00:00:06",
            ["Outbox:VisibilityTimeout"] = "00:00:07",
        });
        // The server takes the connection and says nothing: the first email's send hangs, the others wait.
        rig.Smtp.Behaviour = SmtpFaultBehaviour.Silent;
        rig.Smtp.Start();
        for (var i = 0; i < Emails; i++) await rig.RequestResetAsync(i);
        var atKill = await OutboxRig.WaitForAsync(rig.ReadOutboxAsync, o => o is { Processing: 1, Pending: Emails - 1 }, TimeSpan.FromSeconds(30),
            "one email claimed and in its SMTP session, the others pending");
        var killedPid = rig.Api.ProcessId;
        rig.Api.Kill();

        // The killed process's claim is still there: nothing settles it but the visibility timeout.
        Assert.Equal(atKill, await rig.ReadOutboxAsync());
        rig.Smtp.Behaviour = SmtpFaultBehaviour.Accept;
        await rig.Api.RestartAsync(ProductHosts.StartupTimeout);
        Assert.NotEqual(killedPid, rig.Api.ProcessId);

        await rig.Smtp.WaitForRecipientsAsync(Enumerable.Range(0, Emails).Select(rig.Email), TimeSpan.FromSeconds(30));
        var drained = await OutboxRig.WaitForAsync(rig.ReadOutboxAsync, o => o.Undelivered == 0, TimeSpan.FromSeconds(30), "outbox empty");
        var delivered = rig.Smtp.CountByRecipient();
        output.WriteLine($"Api SIGKILLed with {atKill}; new process delivered {rig.Smtp.Received.Count} messages to {delivered.Count} recipients; " +
                         $"recovered claims (new process): {await rig.MetricAsync("tc_outbox_recovered_total")}");
        Assert.Equal(new OutboxLists(0, 0, 0, 0, 0), drained);
        Assert.Equal(Emails, delivered.Count);
        Assert.All(delivered.Values, n => Assert.Equal(1, n));
        // The claimed email came back through the visibility timeout, not by luck.
        Assert.Equal(1, await rig.MetricAsync("tc_outbox_recovered_total"));
    }
}
