using System.Net;
using System.Net.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using ThrottleCluster.Api.Outbox;
using ThrottleCluster.Api.Tests.Support;
using ThrottleCluster.Tests.Support;

namespace ThrottleCluster.Api.Tests;

/// <summary>
/// Cluster mode with the cluster's engine gone after the Api started: the outbox (in that engine)
/// cannot take the email, and the answer still does not tell an existing account from a missing one.
/// A cluster of its own, since the test kills its Garnet.
/// </summary>
public sealed class ClusterEngineOutageTests
{
    [Fact]
    public async Task With_the_engine_gone_existing_and_missing_accounts_still_get_the_same_202()
    {
        var cluster = new ClusterFixture(1);
        try
        {
            await cluster.InitializeAsync();
            // The test gate sends: only the outbox meets the outage.
            await using var api = new ApiFactory { UseManualTime = false };
            foreach (var (key, value) in cluster.ClientSettings()) api.Settings[key] = value;
            api.Settings["Cluster:Redis"] = cluster.Garnet.ConnectionString + ",connectTimeout=500,syncTimeout=500,asyncTimeout=500";
            api.Settings["Outbox:RetryDelay"] = "00:00:01";
            using var client = api.CreateClient();
            var statistics = api.Services.GetRequiredService<IOutboxMonitor>().Statistics;

            cluster.Garnet.Dispose();
            var existing = await client.PostAsJsonAsync("/v1/password-resets", new { login = "alice@example.com" });
            var missing = await client.PostAsJsonAsync("/v1/password-resets", new { login = "nobody@example.com" });
            Assert.Equal(HttpStatusCode.Accepted, existing.StatusCode);
            Assert.Equal(existing.StatusCode, missing.StatusCode);
            Assert.Equal(await existing.Content.ReadAsByteArrayAsync(), await missing.Content.ReadAsByteArrayAsync());
            await Eventually.HoldsAsync(() => statistics.EnqueueFailed == 1, "the existing account's email counted as not queued", TimeSpan.FromSeconds(20));
            Assert.Equal(0, statistics.Enqueued);
        }
        finally
        {
            await cluster.DisposeAsync();
        }
    }
}
