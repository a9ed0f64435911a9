using Microsoft.Extensions.DependencyInjection.Extensions;
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
        services.TryAddSingleton(sp => ConnectRedis(sp.GetRequiredService<IConfiguration>()[RedisKey] ?? "", sp.GetRequiredService<ILogger<RedisConnection>>()));
        services.TryAddSingleton<IGrainStorage>(sp => IsClusterMode(sp.GetRequiredService<IConfiguration>())
            ? new RedisGrainStorage(sp.GetRequiredService<RedisConnection>())
            : new MemoryGrainStorage(sp.GetService<TimeProvider>() ?? TimeProvider.System));
        return services;
    }

    private static RedisConnection ConnectRedis(string connectionString, ILogger logger)
    {
        try
        {
            return RedisConnection.Connect(connectionString, logger: logger);
        }
        catch (ArgumentException ex)
        {
            throw new InvalidOperationException($"{RedisKey} is not a valid StackExchange.Redis connection string (was '{connectionString}'): {ex.Message}", ex);
        }
    }
}
