using Microsoft.Extensions.DependencyInjection.Extensions;
using StackExchange.Redis;
using ThrottleCluster.Runtime.Storage;

namespace ThrottleCluster.Silo;

/// <summary>Chooses grain storage from configuration: <c>Storage:Redis</c> set means Garnet/Redis, otherwise memory.</summary>
public static class GrainStorageConfiguration
{
    public const string RedisKey = "Storage:Redis";

    public static bool IsClusterMode(IConfiguration configuration) => !string.IsNullOrWhiteSpace(configuration[RedisKey]);

    /// <summary>
    /// Storage registered earlier (a test's, an embedded silo's) wins. Chosen when first resolved,
    /// so every configuration source, a test host's included, is in by then.
    /// </summary>
    public static IServiceCollection AddGrainStorage(this IServiceCollection services)
    {
        // Connects in the background and keeps retrying: a host must start, and recover, while the engine is down.
        services.TryAddSingleton<IConnectionMultiplexer>(sp => ConnectionMultiplexer.Connect(ParseRedis(sp.GetRequiredService<IConfiguration>()[RedisKey] ?? "")));
        services.TryAddSingleton<IGrainStorage>(sp => IsClusterMode(sp.GetRequiredService<IConfiguration>())
            ? new RedisGrainStorage(sp.GetRequiredService<IConnectionMultiplexer>())
            : new MemoryGrainStorage(sp.GetService<TimeProvider>() ?? TimeProvider.System));
        return services;
    }

    private static ConfigurationOptions ParseRedis(string connectionString)
    {
        ConfigurationOptions options;
        try
        {
            options = ConfigurationOptions.Parse(connectionString);
        }
        catch (ArgumentException ex)
        {
            throw new InvalidOperationException($"{RedisKey} is not a valid StackExchange.Redis connection string (was '{connectionString}'): {ex.Message}", ex);
        }
        if (options.EndPoints.Count == 0) throw new InvalidOperationException($"{RedisKey} names no endpoint (was '{connectionString}').");
        options.AbortOnConnectFail = false;
        return options;
    }
}
