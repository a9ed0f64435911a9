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
            builder.Services.AddSingleton<IResetGate, InProcessResetGate>();
            return builder;
        }
        if (!GrainStorageConfiguration.IsClusterMode(builder.Configuration))
            throw new InvalidOperationException($"{ClusterMembership.SilosKey} is set, so {GrainStorageConfiguration.RedisKey} must name the engine the silos use (reset tokens and the outbox live there).");
        builder.Services.AddHttpClient(nameof(SiloResetGate), http => http.Timeout = TimeSpan.FromSeconds(5));
        builder.Services.AddSingleton<IResetGate>(sp => new SiloResetGate(sp.GetRequiredService<IHttpClientFactory>().CreateClient(nameof(SiloResetGate)), silos));
        // Account grains live on the silos; this process's own runtime serves only reset tokens.
        builder.Services.AddSingleton(_ => new ClusterClient(silos, new ClusterClientOptions { ClusterKey = builder.Configuration[ClusterMembership.KeyKey] }));
        builder.Services.AddSingleton(sp => ActivatorUtilities.CreateInstance<AccountRedemption>(sp, (IGrainClient)sp.GetRequiredService<ClusterClient>()));
        return builder;
    }

    /// <summary>Embedded: the silo's endpoints too (decisions, gateway check, admin, grain calls).</summary>
    public static WebApplication MapResetGate(this WebApplication app)
        => app.Services.GetService<Grains.Abstractions.IResetGate>() is null ? app : app.MapSiloEndpoints();
}
