using ThrottleCluster.Hosting;

namespace ThrottleCluster.Api.Hosting;

/// <summary>
/// The whole Api, as its Program builds it and as tests host it on a server of their own. Embedded
/// (<c>Cluster:Provider=Localhost</c>): a silo of its own in this process. Otherwise an Orleans
/// client of the cluster's silos, deciding through the client's grains.
/// </summary>
public static class ApiHost
{
    /// <exception cref="InvalidOperationException">A <c>Cluster</c> or <c>Throttle</c> value is invalid; the message names key and value.</exception>
    public static WebApplicationBuilder AddThrottleApi(this WebApplicationBuilder builder)
    {
        var cluster = ClusterSettings.Read(builder.Configuration);
        var policies = ThrottlePolicies.Read(builder.Configuration);
        if (cluster.IsEmbedded)
            builder.UseOrleans(silo => silo.UseThrottleClustering(cluster).AddThrottleGrains(cluster, policies).AddThrottleDashboard(builder.Configuration));
        else
            builder.UseOrleansClient(client => client.UseThrottleClustering(cluster));
        builder.Services.AddDecisionApi(builder.Configuration, cluster, policies);
        builder.Services.AddResetFrontEnd(cluster);
        // Embedded, this process is the cluster too: it serves the decision API and all of the admin API, not only the outbox's.
        builder.Services.AddApiDocuments(cluster.IsEmbedded ? [ApiDocuments.Resets, ApiDocuments.Decisions, ApiDocuments.Admin] : [ApiDocuments.Resets, ApiDocuments.Admin]);
        return builder;
    }

    public static WebApplication MapThrottleApi(this WebApplication app)
    {
        app.UseThrottleHttp();
        // Embedded, this process is the cluster: it serves the decision API and admin too.
        if (app.Services.GetRequiredService<ClusterSettings>().IsEmbedded) app.MapDecisionApi();
        return app.MapResetFrontEnd();
    }
}
