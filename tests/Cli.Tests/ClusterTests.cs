using System.Text.Json.Nodes;
using ThrottleCluster.Cli.Tests.Support;

namespace ThrottleCluster.Cli.Tests;

/// <summary><c>cluster</c> against a silo of its own: the membership through Orleans' management grain, as a table and as JSON.</summary>
public sealed class ClusterTests(SiloFixture silo) : IClassFixture<SiloFixture>
{
    [Fact]
    public async Task Cluster_lists_the_silo_as_active()
    {
        var json = JsonNode.Parse(await silo.OkAsync("cluster", "--json"))!;
        Assert.Equal(1, json["active"]!.GetValue<int>());
        var entry = Assert.Single(json["silos"]!.AsArray())!;
        Assert.Equal("Active", entry["status"]!.GetValue<string>());
        var address = entry["address"]!.GetValue<string>();
        Assert.Equal(silo.SiloAddress, address);

        var table = await silo.OkAsync("cluster");
        Assert.Contains(address, table);
        Assert.Matches(@"│ Active\s*│", table);
        Assert.Contains("1 of 1 silos active", table);
    }

    [Fact]
    public async Task Cluster_without_the_key_repeats_the_silos_refusal()
    {
        var result = await CliRun.RunAsync("cluster", "--silo", silo.Address, "--api-key", "wrong-key");
        Assert.True(result.ExitCode == ExitCodes.Refused, result.ToString());
        Assert.Contains("Admin API key required", result.Error);
    }
}
