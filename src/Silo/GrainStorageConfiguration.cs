using Microsoft.Extensions.DependencyInjection.Extensions;
using StackExchange.Redis;
using ThrottleCluster.Runtime.Storage;

namespace ThrottleCluster.Silo;

/// <summary>Chooses grain storage from configuration: <c>Storage:Redis</c> set means Garnet/Redis, otherwise memory.</summary>
public static class GrainStorageConfiguration
{
    public const string RedisKey = "Storage:Redis";

    public static bool IsClusterMode(IConfiguration configuration) => !string.IsNullOrWhiteSpace(configuration[RedisKey]);

    /// <summary>Storage registered earlier (a test's) wins.</summary>
    public static IServiceCollection AddGrainStorage(this IServiceCollection services, IConfiguration configuration)
    {
        if (!IsClusterMode(configuration))
        {
            services.TryAddSingleton<IGrainStorage>(sp => new MemoryGrainStorage(sp.GetService<TimeProvider>() ?? TimeProvider.System));
            return services;
        }
        var options = ParseRedis(configuration[RedisKey]!);
        // Connect lazily and keep retrying: a silo must start, and recover, while the engine is down.
        services.TryAddSingleton<IConnectionMultiplexer>(_ => ConnectionMultiplexer.Connect(options));
        services.TryAddSingleton<IGrainStorage>(sp => new RedisGrainStorage(sp.GetRequiredService<IConnectionMultiplexer>()));
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
