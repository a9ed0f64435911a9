using ThrottleCluster.Runtime.Storage;
using ThrottleCluster.Runtime.Testing;
using ThrottleCluster.Runtime.Tests.Engines;

namespace ThrottleCluster.Runtime.Tests.Storage;

[Collection(GarnetClusterCollection.Name)]
public sealed class GarnetClusterGrainStorageConformanceTests(GarnetClusterFixture garnet) : GrainStorageConformance
{
    protected override IGrainStorage Storage => garnet.Storages[0];

    protected override IReadOnlyList<IGrainStorage> Silos => garnet.Storages;

    [Fact]
    public async Task Grains_spread_over_every_node_and_each_keeps_its_receipts_beside_it()
    {
        var batch = Guid.NewGuid().ToString("N");
        var keys = Enumerable.Range(0, 64).Select(i => $"spread/{batch}-{i}").ToList();

        foreach (var key in keys)
        {
            await WriteAsync(key, 0, [1], receipts: [Receipt("call-a", 1)]);
            var retry = await WriteAsync(key, 1, [2], checkReceipts: ["call-a"]);
            Assert.Equal(WriteStatus.Duplicate, retry.Status);
        }

        var perNode = new List<long>();
        foreach (var node in garnet.Cluster.Nodes)
        {
            long held = 0;
            foreach (var key in keys)
                if (await HoldsAsync(node, key)) held++;
            perNode.Add(held);
        }
        Assert.All(perNode, count => Assert.True(count > 0, $"keys per node: {string.Join(", ", perNode)}"));
        Assert.Equal(keys.Count, perNode.Sum());
    }

    // A node answers EXISTS only for keys in its own slots (others get MOVED, an error).
    private static async Task<bool> HoldsAsync(GarnetServer node, string key)
    {
        try
        {
            return (long)(await node.ExecuteAsync("EXISTS", StateKey(key)))! == 1;
        }
        catch (InvalidOperationException e) when (e.Message.Contains("MOVED", StringComparison.Ordinal))
        {
            return false;
        }
    }

    private static string StateKey(string key) => $"{RedisGrainStorage.DefaultKeyPrefix}{{{key}}}";
}
