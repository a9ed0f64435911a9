using ThrottleCluster.Api.Tokens;
using ThrottleCluster.Runtime;
using ThrottleCluster.Runtime.Client;
using ThrottleCluster.Runtime.Hosting;
using ThrottleCluster.Silo;

namespace ThrottleCluster.Api.Gate;

/// <summary>
/// Where decisions are made: by a silo in this process (embedded mode, the default), or by the
/// silos listed in <c>Cluster:Silos</c> over HTTP (cluster mode).
/// </summary>
public static class ResetGateHosting
{
    public static WebApplicationBuilder AddResetGate(this WebApplicationBuilder builder)
    {
        var silos = ClusterMembership.Silos(builder.Configuration);
        if (silos.Count == 0)
        {
            builder.AddThrottleSilo(catalog => catalog.Add(ResetTokenGrainType.Type));
            builder.Services.AddSingleton<InProcessResetGate>();
            AddObservedGate(builder.Services, sp => sp.GetRequiredService<InProcessResetGate>());
            return builder;
        }
        if (!GrainStorageConfiguration.IsClusterMode(builder.Configuration))
            throw new InvalidOperationException($"{ClusterMembership.SilosKey} is set, so {GrainStorageConfiguration.RedisKey} must name the engine the silos use (reset tokens and the outbox live there).");
        builder.Services.AddHttpClient(nameof(SiloResetGate), http => http.Timeout = TimeSpan.FromSeconds(5));
        AddObservedGate(builder.Services, sp => new SiloResetGate(sp.GetRequiredService<IHttpClientFactory>().CreateClient(nameof(SiloResetGate)), silos));
        AddSiloStatus(builder.Services, silos, builder.Configuration[ClusterMembership.KeyKey]);
        // Account grains live on the silos; this process's own runtime serves only reset tokens.
        builder.Services.AddSingleton(_ => new ClusterClient(silos, new ClusterClientOptions { ClusterKey = builder.Configuration[ClusterMembership.KeyKey] }));
        builder.Services.AddSingleton(sp => ActivatorUtilities.CreateInstance<AccountRedemption>(sp, (IGrainClient)sp.GetRequiredService<ClusterClient>()));
        return builder;
    }

    /// <summary>Embedded: the silo's endpoints too (decisions, gateway check, admin, grain calls, status).</summary>
    public static WebApplication MapResetGate(this WebApplication app)
    {
        if (app.Services.GetService<Grains.Abstractions.IResetGate>() is not null) return app.MapSiloEndpoints();
        app.Services.GetRequiredService<GlobalStatusMetrics>(); // the silos' breaker and budget on this /metrics too
        return app;
    }

    /// <summary>Every verdict is counted and its throttled targets noted, whichever gate decides.</summary>
    private static void AddObservedGate(IServiceCollection services, Func<IServiceProvider, IResetGate> gate)
        => services.AddSingleton<IResetGate>(sp => ActivatorUtilities.CreateInstance<ObservedResetGate>(sp, gate(sp)));

    /// <summary>Cluster mode: the global breaker and budget, as the silos report them, for the dashboard and the gauges.</summary>
    private static void AddSiloStatus(IServiceCollection services, IReadOnlyList<Uri> silos, string? clusterKey)
    {
        services.AddHttpClient(nameof(SiloStatusPoller), http => http.Timeout = TimeSpan.FromSeconds(2));
        services.AddSingleton(sp => ActivatorUtilities.CreateInstance<SiloStatusPoller>(sp,
            sp.GetRequiredService<IHttpClientFactory>().CreateClient(nameof(SiloStatusPoller)), silos, clusterKey ?? ""));
        services.AddSingleton<IGlobalStatus>(sp => sp.GetRequiredService<SiloStatusPoller>());
        services.AddHostedService(sp => sp.GetRequiredService<SiloStatusPoller>());
        services.AddSingleton<GlobalStatusMetrics>();
    }
}
