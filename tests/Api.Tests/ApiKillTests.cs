using System.Globalization;
using Microsoft.Extensions.Options;
using ThrottleCluster.Api.Outbox;
using ThrottleCluster.Api.Tests.Support;
using ThrottleCluster.Hosting.Storage;
using ThrottleCluster.Tests.Support;
using Xunit.Abstractions;

namespace ThrottleCluster.Api.Tests;

/// <summary>
/// A real Api process of the cluster (outbox in Garnet) is SIGKILLed while it holds claimed jobs, in
/// the middle of their SMTP sessions (the server stores each message, then takes its time to accept
/// it); a second Api process delivers every job after the visibility timeout. Duplicates (stored by
/// the server for the killed process, then sent again) are counted, reported, and bounded by the
/// jobs it held.
/// </summary>
public sealed class ApiKillTests(ClusterFixture cluster, ITestOutputHelper output) : IClassFixture<ClusterFixture>
{
    private const int Jobs = 24;
    private const int Concurrency = 4;

    private Dictionary<string, string> ApiSettings(SmtpTestServer smtp, string outbox)
    {
        var accounts = Path.Combine(Path.GetTempPath(), $"tc-kill-accounts-{Guid.NewGuid():N}.json");
        File.WriteAllText(accounts, "[]");
        var settings = new Dictionary<string, string>();
        foreach (var (key, value) in cluster.ClientSettings().Concat(smtp.ApiSettings()))
            if (value is not null) settings[key] = value;
        settings["Accounts:File"] = accounts;
        settings["Email:ResetUrlTemplate"] = "https://app.example.com/reset?token={token}";
        settings["Email:Smtp:From"] = "Example <no-reply@example.com>";
        settings["Email:Smtp:Timeout"] = "00:00:04";
        settings["Email:Smtp:Connections"] = Concurrency.ToString(CultureInfo.InvariantCulture);
        settings["Outbox:Concurrency"] = Concurrency.ToString(CultureInfo.InvariantCulture);
        // Long enough that no attempt outlasts its lease on a starved machine: a lease that expires mid-send is
        // a second, legitimate source of duplicates, and would blur the bound this test checks.
        settings["Outbox:VisibilityTimeout"] = "00:00:15";
        settings["Outbox:PollInterval"] = "00:00:00.05";
        settings["Outbox:KeyPrefix"] = outbox;
        return settings;
    }

    [Fact]
    public async Task Every_job_an_Api_held_when_SIGKILLed_is_delivered_by_the_next_one_and_duplicates_are_counted()
    {
        await using var smtp = await SmtpTestServer.StartAsync(replyDelay: TimeSpan.FromMilliseconds(700));
        var prefix = $"tc:outbox:{Guid.NewGuid():N}";
        using var engine = RedisEngine.Connect(cluster.Garnet.ConnectionString);
        var queue = new RedisOutbox(engine, Options.Create(new OutboxOptions { KeyPrefix = prefix }), TimeProvider.System, new OutboxStatistics());
        var recipients = Enumerable.Range(0, Jobs).Select(n => $"kill{n}.{Guid.NewGuid():N}@example.com").ToList();

        var first = await ProductHosts.StartApiAsync(ApiSettings(smtp, prefix));
        try
        {
            foreach (var (email, n) in recipients.Select((e, n) => (e, n)))
                await queue.EnqueueAsync(ResetEmailJob.Create($"acct-kill-{n}-{Guid.NewGuid():N}", email, DateTimeOffset.UtcNow), default);
            await Eventually.HoldsAsync(async () => (await queue.GetCountsAsync(default)).Processing == Concurrency && smtp.Messages().Count >= Concurrency,
                "the first Api holding claimed jobs, mid-session", TimeSpan.FromSeconds(60));
            first.Kill();
        }
        finally
        {
            await first.DisposeAsync();
        }
        var atKill = await queue.GetCountsAsync(default);
        var storedAtKill = smtp.Messages().Count;
        Assert.InRange(atKill.Processing, 1, Concurrency); // the killed process's claims are still there

        await using var second = await ProductHosts.StartApiAsync(ApiSettings(smtp, prefix));
        await Eventually.HoldsAsync(async () => await queue.GetCountsAsync(default) == new OutboxCounts(0, 0, 0, 0)
                && recipients.All(r => smtp.Messages().Any(m => m.To.Single() == r)),
            "every job delivered and the outbox empty", TimeSpan.FromSeconds(90));

        var received = smtp.Messages();
        Assert.All(received, m => Assert.Equal((SmtpTestServer.User, true), (m.User, m.Secure)));
        var perRecipient = received.GroupBy(m => m.To.Single()).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(recipients.Order(), perRecipient.Keys.Order()); // none lost, nothing else sent
        var duplicates = received.Count - Jobs;
        output.WriteLine($"jobs {Jobs}; at the kill: {atKill.Pending} pending, {atKill.Processing} claimed, {storedAtKill} messages stored; " +
                         $"delivered {received.Count} messages to {perRecipient.Count} recipients: {duplicates} duplicate(s) ({string.Join(", ", perRecipient.Where(p => p.Value > 1).Select(p => p.Key))})");
        // Only a job claimed by the killed process can arrive twice, and once more at most.
        Assert.InRange(duplicates, 0, (int)atKill.Processing);
        Assert.All(perRecipient.Values, count => Assert.InRange(count, 1, 2));
    }
}
