using Azure.Data.Tables;
using Orleans.Configuration;
using ThrottleCluster.Hosting.Storage;

namespace ThrottleCluster.Hosting;

/// <summary>An Orleans client of the cluster (the Api in cluster mode): gateways from the membership store, calls that fail fast.</summary>
public static class ThrottleClientConfiguration
{
    /// <exception cref="InvalidOperationException"><see cref="ClusterSettings.Provider"/> is <see cref="ClusterProvider.Localhost"/>: there is no cluster to be a client of.</exception>
    public static IClientBuilder UseThrottleClustering(this IClientBuilder client, ClusterSettings settings)
    {
        client.Configure<ClusterOptions>(options =>
        {
            options.ClusterId = settings.ClusterId;
            options.ServiceId = settings.ServiceId;
        });
        switch (settings.Provider)
        {
            case ClusterProvider.Redis:
                client.UseRedisClustering(options => options.ConfigurationOptions = RedisEngine.Options(settings.Redis!));
                break;
            case ClusterProvider.AzureStorage:
                client.UseAzureStorageClustering(options => options.TableServiceClient = new TableServiceClient(settings.AzureStorage));
                break;
            default:
                throw new InvalidOperationException($"{ClusterSettings.Section}:Provider is {settings.Provider}: an embedded silo has no gateway for clients.");
        }
        if (settings.TlsCertificate is { } certificate) client.UseTls(options => ClusterTls.Configure(options, certificate));
        client.Configure<GatewayOptions>(options => options.GatewayListRefreshPeriod = TimeSpan.FromSeconds(1));
        client.Configure<ClientMessagingOptions>(options => options.ResponseTimeout = settings.ResponseTimeout);
        return client;
    }
}
