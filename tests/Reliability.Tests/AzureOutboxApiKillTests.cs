using System.Globalization;
using System.Net;
using Azure.Storage.Queues;
using Microsoft.Extensions.Options;
using ThrottleCluster.Api.Outbox;
using ThrottleCluster.Reliability.Tests.Support;
using ThrottleCluster.Tests.Support;
using Xunit.Abstractions;

namespace ThrottleCluster.Reliability.Tests;

/// <summary>
/// The Api process of a cluster on Azure Storage (its outbox in Azure Storage queues, Azurite here)
/// is SIGKILLed while it holds claimed jobs, in the middle of their SMTP sessions (the server stores
/// each message, then takes its time to accept it); a second Api process delivers every job once the
/// killed one's claims are past the visibility timeout. None is lost; duplicates (stored by the server
/// for the killed process, then sent again) are counted and bounded by the jobs it held. The Garnet
/// outbox's counterpart is Api.Tests' ApiKillTests.
/// </summary>
public sealed class AzureOutboxApiKillTests(ITestOutputHelper output)
{
    private const int Jobs = 24;
    private const int Concurrency = 4;

    [Fact]
    public async Task Every_job_an_Api_held_in_its_Azure_queue_outbox_when_SIGKILLed_is_delivered_by_the_next_one()
    {
        await using var azurite = await AzuriteServer.StartAsync();
        await using var cluster = await ProductCluster.StartOnAzureStorageAsync(azurite.ConnectionString, siloCount: 1);
        await using var smtp = SmtpFaultServer.Start(LoopbackPort.Free(), SmtpFaultBehaviour.SlowReplyAfterData);
        smtp.Delay = TimeSpan.FromMilliseconds(700);
        var directory = Directory.CreateTempSubdirectory("tc-azure-outbox-kill-").FullName;
        var queueName = $"kill{Guid.NewGuid():N}"[..24];
        var settings = await ApiSettingsAsync(cluster, smtp, directory, queueName);
        var outbox = new AzureQueueOutbox(new QueueServiceClient(azurite.ConnectionString), Options.Create(new OutboxOptions { QueueName = queueName }),
            TimeProvider.System, new OutboxStatistics());
        var recipients = Enumerable.Range(0, Jobs).Select(ProductCluster.Email).ToList();
        try
        {
            var first = await ProductHosts.StartApiAsync(settings);
            var traffic = new ResetTraffic(ProductHosts.AddressOf(first.Port), TimeSpan.FromSeconds(30));
            try
            {
                var answers = await Task.WhenAll(recipients.Select(r => traffic.SendOneAsync(r)));
                Assert.All(answers, a => Assert.Equal(HttpStatusCode.Accepted, a));
                await Eventually.HoldsAsync(async () => (await outbox.GetCountsAsync(default)).Processing == Concurrency && smtp.Received.Count >= Concurrency,
                    "the first Api holding claimed jobs, mid-session", TimeSpan.FromSeconds(60));
                first.Kill();
            }
            finally
            {
                await first.DisposeAsync();
            }
            var atKill = await outbox.GetCountsAsync(default);
            var storedAtKill = smtp.Received.Count;
            Assert.InRange(atKill.Processing, 1, Concurrency); // the killed process's claims are still there

            await using var second = await ProductHosts.StartApiAsync(settings);
            var delivered = await smtp.WaitForRecipientsAsync(recipients, TimeSpan.FromSeconds(90));
            var drained = await OutboxRig.WaitForAsync(() => outbox.GetCountsAsync(default), c => c == new OutboxCounts(0, 0, 0, 0), TimeSpan.FromSeconds(60), "outbox empty");
            using var api = new SiloClient(ProductHosts.AddressOf(second.Port), TimeSpan.FromSeconds(10));
            var recovered = new PrometheusText(await api.MetricsAsync()).Value("tc_outbox_recovered_total");

            var perRecipient = smtp.CountByRecipient();
            var duplicates = perRecipient.Values.Sum() - Jobs;
            output.WriteLine($"Azure queue outbox, jobs {Jobs}; at the kill: {atKill.Pending} pending, {atKill.Processing} claimed, {storedAtKill} messages stored; " +
                             $"the next Api recovered {recovered} claims and delivered; {perRecipient.Values.Sum()} messages to {perRecipient.Count} recipients: {duplicates} duplicate(s); outbox after: {drained}");
            Assert.Equal(recipients.Order(StringComparer.OrdinalIgnoreCase), perRecipient.Keys.Order(StringComparer.OrdinalIgnoreCase)); // none lost, nothing else sent
            Assert.Equal(delivered.Count, perRecipient.Count);
            Assert.True(recovered >= 1, "No claim of the killed process came back through the visibility timeout.");
            // Only a job claimed by the killed process can arrive twice, and once more at most.
            Assert.InRange(duplicates, 0, (int)atKill.Processing);
            Assert.All(perRecipient.Values, count => Assert.InRange(count, 1, 2));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private static async Task<Dictionary<string, string>> ApiSettingsAsync(ProductCluster cluster, SmtpFaultServer smtp, string directory, string queueName)
    {
        var settings = new Dictionary<string, string>(cluster.Settings)
        {
            ["Accounts:File"] = await ProductCluster.WriteAccountsAsync(directory, Jobs),
            ["Email:Smtp:Timeout"] = "00:00:04",
            ["Email:Smtp:Connections"] = Concurrency.ToString(CultureInfo.InvariantCulture),
            ["Outbox:Concurrency"] = Concurrency.ToString(CultureInfo.InvariantCulture),
            // As in ApiKillTests: long enough that no attempt outlasts its lease on a starved machine (a second source of duplicates).
            ["Outbox:VisibilityTimeout"] = "00:00:15",
            ["Outbox:PollInterval"] = "00:00:00.05",
            ["Outbox:QueueName"] = queueName,
        };
        foreach (var (key, value) in ProductCluster.MailSettings(smtp.Port)) settings[key] = value;
        return settings;
    }
}
