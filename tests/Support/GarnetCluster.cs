using System.Diagnostics;
using System.Globalization;

namespace ThrottleCluster.Tests.Support;

/// <summary>
/// A Garnet cluster of primaries on 127.0.0.1 for tests, the 16384 hash slots split evenly over
/// them, ready once every node reports all slots served by all nodes.
/// </summary>
public sealed class GarnetCluster : IDisposable, IAsyncDisposable
{
    private const int HashSlots = 16384;

    // RandomAccess: the default native device needs a newer glibc than Debian 12 has.
    // A one-second gossip delay forms the cluster in seconds instead of tens of seconds.
    private static readonly string[] ClusterFlags = ["--cluster", "--clean-cluster-config", "--device-type", "RandomAccess", "--gossip-delay", "1"];

    private GarnetCluster(IReadOnlyList<GarnetServer> nodes) => Nodes = nodes;

    public IReadOnlyList<GarnetServer> Nodes { get; }

    /// <summary>A StackExchange.Redis configuration string listing every node.</summary>
    public string ConnectionString => string.Join(",", Nodes.Select(n => n.ConnectionString));

    public static async Task<GarnetCluster> StartAsync(int nodeCount = 3, TimeSpan? startupTimeout = null, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(nodeCount, 1);
        var timeout = startupTimeout ?? GarnetServer.DefaultStartupTimeout;
        var starting = Enumerable.Range(0, nodeCount)
            .Select(i => GarnetServer.StartAsync($"garnet-cluster-node{i}", ClusterFlags, timeout, cancellationToken))
            .ToList();
        try
        {
            await Task.WhenAll(starting);
        }
        catch
        {
            foreach (var node in starting.Where(t => t.IsCompletedSuccessfully)) node.Result.Dispose();
            throw;
        }

        var cluster = new GarnetCluster(starting.Select(t => t.Result).ToList());
        try
        {
            await cluster.FormAsync(timeout, cancellationToken);
            return cluster;
        }
        catch
        {
            cluster.Dispose();
            throw;
        }
    }

    private async Task FormAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        for (var i = 0; i < Nodes.Count; i++)
        {
            var first = HashSlots * i / Nodes.Count;
            var last = HashSlots * (i + 1) / Nodes.Count - 1;
            await Nodes[i].ExecuteAsync("CLUSTER", "ADDSLOTSRANGE", Decimal(first), Decimal(last));
        }
        foreach (var node in Nodes.Skip(1))
            await Nodes[0].ExecuteAsync("CLUSTER", "MEET", node.Host, Decimal(node.Port));

        // Each node says cluster_state:ok as soon as it serves its own slots, before it knows the
        // others: wait until every node sees every slot and every node.
        var waited = Stopwatch.StartNew();
        var expected = new[] { "cluster_state:ok", $"cluster_slots_ok:{HashSlots}", $"cluster_known_nodes:{Nodes.Count}" };
        while (true)
        {
            var infos = await Task.WhenAll(Nodes.Select(n => n.ExecuteAsync("CLUSTER", "INFO")));
            var lagging = Nodes.Zip(infos).FirstOrDefault(p => !expected.All(line => ((string)p.Second!).Contains(line, StringComparison.Ordinal)));
            if (lagging.First is null) return;
            if (waited.Elapsed > timeout)
                throw lagging.First.Failure($"did not join the cluster within {timeout.TotalSeconds:0.#} s; CLUSTER INFO:{Environment.NewLine}{lagging.Second}");
            await Task.Delay(100, cancellationToken);
        }
    }

    private static string Decimal(int value) => value.ToString(CultureInfo.InvariantCulture);

    public void Dispose()
    {
        foreach (var node in Nodes) node.Dispose();
    }

    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }
}
