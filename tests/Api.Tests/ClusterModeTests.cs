using System.Net;
using System.Net.Http.Json;
using StackExchange.Redis;
using ThrottleCluster.Api.Outbox;
using ThrottleCluster.Api.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace ThrottleCluster.Api.Tests;

/// <summary>
/// Cluster mode (<c>Storage:Redis</c> set): reset tokens and the outbox live in Garnet, shared by
/// every Api instance.
/// </summary>
public sealed class ClusterModeTests(GarnetFixture garnet) : IClassFixture<GarnetFixture>
{
    private Dictionary<string, string?> ClusterSettings(string prefix) => new()
    {
        ["Storage:Redis"] = garnet.Server.ConnectionString,
        ["Outbox:KeyPrefix"] = prefix,
    };

    [Fact]
    public async Task Two_Api_instances_share_the_outbox_and_the_tokens()
    {
        var prefix = $"tc:outbox:{Guid.NewGuid():N}";
        await using var a = await ApiServer.StartAsync(ClusterSettings(prefix));
        await using var b = await ApiServer.StartAsync(ClusterSettings(prefix));
        Assert.IsType<RedisOutbox>(a.Services.GetRequiredService<IOutbox>());
        using var clientA = a.CreateClient();
        using var clientB = b.CreateClient();
        Assert.Contains("\"storage\":\"RedisGrainStorage\"", await clientA.GetStringAsync("/healthz"));

        Assert.Equal(HttpStatusCode.Accepted, (await clientA.PostAsJsonAsync("/v1/password-resets", new { login = "alice@example.com" })).StatusCode);
        // Either instance's dispatcher may send it; exactly one does.
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (a.MailFiles().Count + b.MailFiles().Count == 0 && DateTime.UtcNow < deadline) await Task.Delay(20);
        await Task.Delay(300);
        var mail = a.MailFiles().Concat(b.MailFiles()).ToList();
        var email = Eml.Read(Assert.Single(mail));

        // The token lives in Garnet: it verifies on the other instance, once.
        Assert.Equal(HttpStatusCode.OK, (await clientB.PostAsJsonAsync("/v1/password-resets/verify", new { token = email.Token })).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await clientA.PostAsJsonAsync("/v1/password-resets/verify", new { token = email.Token })).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await clientB.PostAsJsonAsync("/v1/password-resets/verify", new { token = email.Token })).StatusCode);

        var counts = await a.Services.GetRequiredService<IOutboxMonitor>().GetCountsAsync(default);
        Assert.Equal(new OutboxCounts(0, 0, 0, 0), counts);
    }

    [Fact]
    public async Task A_job_left_in_the_queue_by_a_stopped_instance_is_sent_by_the_next_one()
    {
        var prefix = $"tc:outbox:{Guid.NewGuid():N}";
        // Queued while no dispatcher runs (an instance that stopped right after accepting).
        var queue = new RedisOutbox(garnet.Connection.GetDatabase(), new OutboxOptions { KeyPrefix = prefix }, TimeProvider.System, new OutboxStatistics());
        await queue.EnqueueAsync(ResetEmailJob.Create("acct-bob", "Bob@Example.com", DateTimeOffset.UtcNow), default);
        var lease = await queue.TryClaimAsync(default); // claimed, then the instance died before sending
        Assert.NotNull(lease);

        var settings = ClusterSettings(prefix);
        settings["Email:Smtp:Timeout"] = "00:00:02";
        settings["Outbox:VisibilityTimeout"] = "00:00:03"; // recovered within about 3 s
        await using var api = await ApiServer.StartAsync(settings);
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (api.MailFiles().Count == 0 && DateTime.UtcNow < deadline) await Task.Delay(100);
        Assert.Equal("Bob@Example.com", Eml.Read(Assert.Single(api.MailFiles())).Headers["To"]);
        Assert.Equal(1, api.Services.GetRequiredService<IOutboxMonitor>().Statistics.Recovered);
    }

    [Fact]
    public async Task With_the_engine_unreachable_existing_and_missing_accounts_still_get_the_same_202()
    {
        await using var api = await ApiServer.StartAsync(new Dictionary<string, string?>
        {
            ["Storage:Redis"] = "127.0.0.1:1,connectTimeout=200,syncTimeout=500",
            ["Outbox:RetryDelay"] = "00:00:01",
        });
        using var client = api.CreateClient();
        var existing = await client.PostAsJsonAsync("/v1/password-resets", new { login = "alice@example.com" });
        var missing = await client.PostAsJsonAsync("/v1/password-resets", new { login = "nobody@example.com" });
        Assert.Equal(HttpStatusCode.Accepted, existing.StatusCode);
        Assert.Equal(existing.StatusCode, missing.StatusCode);
        Assert.Equal(await existing.Content.ReadAsByteArrayAsync(), await missing.Content.ReadAsByteArrayAsync());
        var statistics = api.Services.GetRequiredService<IOutboxMonitor>().Statistics;
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (statistics.EnqueueFailed == 0 && DateTime.UtcNow < deadline) await Task.Delay(50);
        Assert.Equal(1, statistics.EnqueueFailed);
    }
}
