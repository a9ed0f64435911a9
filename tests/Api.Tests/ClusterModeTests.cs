using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using ThrottleCluster.Api.Gate;
using ThrottleCluster.Api.Outbox;
using ThrottleCluster.Api.Tests.Support;
using ThrottleCluster.Grains.Abstractions;
using ThrottleCluster.Hosting.Storage;
using ThrottleCluster.Tests.Support;

namespace ThrottleCluster.Api.Tests;

/// <summary>
/// Cluster mode (<c>Cluster:Provider=Redis</c>): Api instances are Orleans clients of two real
/// silo processes over a real Garnet, and decide through the cluster's grains; reset tokens live in
/// the cluster's grains and the outbox in Garnet's lists, shared by every Api instance.
/// </summary>
public sealed class ClusterModeTests(ClusterFixture cluster) : IClassFixture<ClusterFixture>
{
    /// <summary>An Api instance of the cluster with its own gate, and accounts of the test's own (the cluster's state outlives a test).</summary>
    private ApiFactory ClusterApi(string outboxPrefix, params Account[] accounts)
    {
        var api = new ApiFactory { UseTestGate = false, UseManualTime = false }; // the silos decide on the system clock
        foreach (var (key, value) in cluster.ClientSettings()) api.Settings[key] = value;
        api.Settings["Outbox:KeyPrefix"] = outboxPrefix;
        var file = Path.Combine(api.TempDirectory, "cluster-accounts.json");
        File.WriteAllText(file, JsonSerializer.Serialize(accounts.Select(a => new { accountId = a.Id, email = a.Email })));
        api.Settings["Accounts:File"] = file;
        return api;
    }

    private sealed record Account(string Id, string Email);

    private static Account NewAccount(string name) => new($"acct-{name}-{Guid.NewGuid():N}", $"{name}.{Guid.NewGuid():N}@example.com");

    private static string NewOutbox() => $"tc:outbox:{Guid.NewGuid():N}";

    private static Task<HttpResponseMessage> ResetAsync(HttpClient client, string login) => client.PostAsJsonAsync("/v1/password-resets", new { login });

    [Fact]
    public async Task A_reset_is_decided_on_the_cluster_and_its_email_written()
    {
        var alice = NewAccount("alice");
        await using var api = ClusterApi(NewOutbox(), alice);
        using var client = api.CreateClient();
        Assert.IsType<RedisOutbox>(api.Services.GetRequiredService<IOutbox>());
        Assert.Equal("""{"status":"ok","checks":["cluster","engine"]}""", await client.GetStringAsync("/healthz"));

        Assert.Equal(HttpStatusCode.Accepted, (await ResetAsync(client, alice.Email)).StatusCode);
        Assert.Equal(alice.Email, Eml.Read(Assert.Single(await api.WaitForMailAsync(1))).Headers["To"]);
        Assert.Equal(1, api.Services.GetRequiredService<GateDecisionMetrics>().Total(GateVerdict.Send));

        // The decision's record is in the cluster's grains, persisted by the silos in Garnet.
        var key = api.Services.GetRequiredService<GrainKeys>().Account(alice.Email);
        var inspection = await api.Services.GetRequiredService<IGrainFactory>().GetGrain<IAccountGrain>(key).Inspect();
        Assert.True(inspection.Exists);
        Assert.Equal(1L, await cluster.Garnet.ExecuteAsync("EXISTS", $"tc:{GrainKinds.Account}/{key}"));
    }

    [Fact]
    public async Task The_account_cooldown_holds_across_Api_instances()
    {
        var bob = NewAccount("bob");
        var outbox = NewOutbox();
        await using var a = ClusterApi(outbox, bob);
        await using var b = ClusterApi(outbox, bob);
        using var clientA = a.CreateClient();
        using var clientB = b.CreateClient();

        var first = await ResetAsync(clientA, bob.Email);
        var second = await ResetAsync(clientB, bob.Id);
        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        Assert.Equal(await first.Content.ReadAsByteArrayAsync(), await second.Content.ReadAsByteArrayAsync());

        // A's request spent the account's email; B, asking moments later, is refused by the same account grain.
        Assert.Equal(1, a.Services.GetRequiredService<GateDecisionMetrics>().Total(GateVerdict.Send));
        var decidedByB = b.Services.GetRequiredService<GateDecisionMetrics>();
        Assert.Equal(0, decidedByB.Total(GateVerdict.Send));
        Assert.Equal(1, decidedByB.Total(GateVerdict.Suppress));
        var monitor = a.Services.GetRequiredService<IOutboxMonitor>();
        await Eventually.HoldsAsync(async () => a.MailFiles().Count + b.MailFiles().Count == 1 && await monitor.GetCountsAsync(default) == new OutboxCounts(0, 0, 0, 0),
            "the one email sent and the shared outbox empty");
        Assert.Equal(1, a.Services.GetRequiredService<OutboxStatistics>().Enqueued + b.Services.GetRequiredService<OutboxStatistics>().Enqueued);
    }

    [Fact]
    public async Task Tokens_are_issued_and_consumed_once_across_two_Api_instances()
    {
        var carol = NewAccount("carol");
        var outbox = NewOutbox();
        await using var a = ClusterApi(outbox, carol);
        await using var b = ClusterApi(outbox, carol);
        using var clientA = a.CreateClient();
        using var clientB = b.CreateClient();

        Assert.Equal(HttpStatusCode.Accepted, (await ResetAsync(clientA, carol.Email)).StatusCode);
        // Either instance's dispatcher may send it; exactly one does, and then the shared queue is empty.
        var monitor = a.Services.GetRequiredService<IOutboxMonitor>();
        await Eventually.HoldsAsync(async () => a.MailFiles().Count + b.MailFiles().Count >= 1 && await monitor.GetCountsAsync(default) == new OutboxCounts(0, 0, 0, 0),
            "the email sent and the shared outbox empty");
        var email = Eml.Read(Assert.Single(a.MailFiles().Concat(b.MailFiles())));
        Assert.Equal(1, a.Services.GetRequiredService<OutboxStatistics>().Sent + b.Services.GetRequiredService<OutboxStatistics>().Sent);

        // The token lives in the cluster's reset-token grain: it verifies on either instance, once.
        var verified = await clientB.PostAsJsonAsync("/v1/password-resets/verify", new { token = email.Token });
        Assert.Equal(HttpStatusCode.OK, verified.StatusCode);
        Assert.Equal(carol.Id, JsonDocument.Parse(await verified.Content.ReadAsStringAsync()).RootElement.GetProperty("accountId").GetString());
        Assert.Equal(HttpStatusCode.BadRequest, (await clientA.PostAsJsonAsync("/v1/password-resets/verify", new { token = email.Token })).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await clientB.PostAsJsonAsync("/v1/password-resets/verify", new { token = email.Token })).StatusCode);
    }

    [Fact]
    public async Task A_job_left_in_the_queue_by_a_stopped_instance_is_sent_by_the_next_one()
    {
        var dave = NewAccount("dave");
        var prefix = NewOutbox();
        // Queued while no dispatcher runs (an instance that stopped right after accepting).
        using (var engine = RedisEngine.Connect(cluster.Garnet.ConnectionString))
        {
            var queue = new RedisOutbox(engine, Options.Create(new OutboxOptions { KeyPrefix = prefix }), TimeProvider.System, new OutboxStatistics());
            await queue.EnqueueAsync(ResetEmailJob.Create(dave.Id, dave.Email, DateTimeOffset.UtcNow), default);
            Assert.NotNull(await queue.TryClaimAsync(default)); // claimed, then the instance died before sending
        }

        await using var api = ClusterApi(prefix, dave);
        api.Settings["Email:Smtp:Timeout"] = "00:00:02";
        api.Settings["Outbox:VisibilityTimeout"] = "00:00:03"; // recovered within about 3 s
        using var client = api.CreateClient();
        var mail = await api.WaitForMailAsync(1, TimeSpan.FromSeconds(30));
        Assert.Equal(dave.Email, Eml.Read(Assert.Single(mail)).Headers["To"]);
        Assert.Equal(1, api.Services.GetRequiredService<IOutboxMonitor>().Statistics.Recovered);
    }
}
