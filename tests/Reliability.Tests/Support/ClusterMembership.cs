using System.Text.Json;
using StackExchange.Redis;
using ThrottleCluster.Hosting;

namespace ThrottleCluster.Reliability.Tests.Support;

/// <summary>
/// The Orleans membership table as the Redis clustering provider keeps it in the engine: one hash,
/// <c>{ServiceId}/members/{ClusterId}</c>, with a JSON entry per silo incarnation
/// (<c>127.0.0.1:PORT@GENERATION</c>). Read straight from the engine, so what a test sees is what
/// every silo and client reads, not one silo's view.
/// </summary>
public sealed class ClusterMembership(IConnectionMultiplexer engine)
{
    /// <summary>Orleans' SiloStatus values as stored.</summary>
    public const int Active = 3;
    public const int Dead = 6;

    private static readonly ClusterSettings Defaults = new();
    private static readonly RedisKey Table = $"{Defaults.ServiceId}/members/{Defaults.ClusterId}";

    /// <summary>Every incarnation of the silo on <paramref name="siloPort"/>, newest last, with its status and when it last wrote that it is alive.</summary>
    public async Task<IReadOnlyList<(string Address, int Status, DateTimeOffset IAmAlive)>> OfAsync(int siloPort)
    {
        var entries = await engine.GetDatabase().HashGetAllAsync(Table);
        return entries.Where(e => e.Name != "Version")
            .Select(e => JsonDocument.Parse((string)e.Value!).RootElement)
            .Select(e => (Address: e.GetProperty("SiloAddress").GetProperty("SiloAddress").GetString()!, Status: e.GetProperty("Status").GetInt32(),
                IAmAlive: e.GetProperty("IAmAliveTime").GetDateTimeOffset()))
            .Where(e => e.Address.StartsWith($"127.0.0.1:{siloPort}@", StringComparison.Ordinal))
            .OrderBy(e => long.Parse(e.Address[(e.Address.IndexOf('@') + 1)..], System.Globalization.CultureInfo.InvariantCulture))
            .ToList();
    }
}
