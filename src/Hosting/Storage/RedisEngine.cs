using Microsoft.Extensions.DependencyInjection.Extensions;
using StackExchange.Redis;

namespace ThrottleCluster.Hosting.Storage;

/// <summary>
/// This process's one connection to the Redis-protocol engine (grain state, the outbox, health).
/// It connects in the background and keeps reconnecting, so a host starts, and recovers, while the
/// engine is away; StackExchange.Redis 2's heartbeat replaces a connection that died silently.
/// While no connection is up, a command fails at once instead of waiting in StackExchange.Redis's
/// backlog for its timeout: a decision that cannot be persisted is a 503 now, not in 5 s, and an
/// outage under a flood holds no requests open.
/// </summary>
public sealed class RedisEngine(IConnectionMultiplexer connection) : IDisposable
{
    public IConnectionMultiplexer Connection => connection;

    public static ConfigurationOptions Options(string configuration)
    {
        var options = ConfigurationOptions.Parse(configuration);
        options.AbortOnConnectFail = false;
        options.BacklogPolicy = BacklogPolicy.FailFast;
        return options;
    }

    public static RedisEngine Connect(string configuration) => new(ConnectionMultiplexer.Connect(Options(configuration)));

    public void Dispose() => connection.Dispose();
}

public static class RedisEngineServiceCollectionExtensions
{
    /// <summary>The engine of <see cref="ClusterSettings.Redis"/>, once per process whoever asks first.</summary>
    public static IServiceCollection AddRedisEngine(this IServiceCollection services, ClusterSettings settings)
    {
        services.TryAddSingleton(_ => RedisEngine.Connect(settings.Redis!));
        return services;
    }
}
