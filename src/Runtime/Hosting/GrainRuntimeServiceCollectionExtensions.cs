using Microsoft.Extensions.DependencyInjection;
using ThrottleCluster.Runtime.Storage;

namespace ThrottleCluster.Runtime.Hosting;

public static class GrainRuntimeServiceCollectionExtensions
{
    /// <summary>Adds a <see cref="GrainRuntime"/> hosting the catalog's grains over the given storage.</summary>
    public static IServiceCollection AddGrainRuntime(
        this IServiceCollection services,
        Action<GrainCatalog> registerGrains,
        Func<IServiceProvider, IGrainStorage> storage,
        GrainRuntimeOptions? options = null)
    {
        services.AddSingleton(sp =>
        {
            var catalog = new GrainCatalog();
            registerGrains(catalog);
            return new GrainRuntime(catalog, storage(sp), options, sp.GetService<TimeProvider>() ?? TimeProvider.System);
        });
        services.AddSingleton<IGrainClient>(sp => sp.GetRequiredService<GrainRuntime>());
        return services;
    }
}
