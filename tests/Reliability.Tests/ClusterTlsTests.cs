using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Orleans;
using Orleans.Runtime;
using ThrottleCluster.Grains.Abstractions;
using ThrottleCluster.Hosting;
using ThrottleCluster.Tests.Support;

namespace ThrottleCluster.Reliability.Tests;

/// <summary>
/// Silo-to-silo and client-to-gateway connections with the cluster's certificate (TLS, mutual): a
/// client or silo with it calls and joins; one without it, or with another certificate, can do
/// neither. Real silo processes over a real Garnet, so the TLS is the product's own transport's.
/// </summary>
public sealed class ClusterTlsTests : IAsyncLifetime
{
    private readonly string _directory = Directory.CreateTempSubdirectory("throttlecluster-tls-").FullName;
    private GarnetServer _garnet = null!;

    public async Task InitializeAsync() => _garnet = await GarnetServer.StartAsync();

    public async Task DisposeAsync()
    {
        await _garnet.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public async Task Only_holders_of_the_cluster_certificate_join_the_cluster_or_call_its_grains()
    {
        var cluster = Settings(Certificate("cluster"));
        await using var silo = await ProductHosts.StartSiloAsync(cluster);

        await using (var member = await ConnectAsync(cluster))
            Assert.Equal(0, (await member.GetGrain<IPolicyGrain>(IPolicyGrain.Key).Get()).Version);

        await Assert.ThrowsAnyAsync<Exception>(() => ConnectAndCallAsync(Settings(certificate: null)));
        await Assert.ThrowsAnyAsync<Exception>(() => ConnectAndCallAsync(Settings(Certificate("stranger"))));

        // A silo with another certificate cannot reach the member silo: it is declared dead and stops
        // itself before it ever serves (Orleans' fatal-error path exits the process).
        var strangerPort = LoopbackPort.Free();
        var strangerSettings = Settings(Certificate("stranger-silo"));
        strangerSettings[ProductHosts.SiloPortKey] = strangerPort.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => ProductHosts.StartSiloAsync(strangerSettings));
        Assert.Contains("exited", refused.Message);

        await using var watcher = await ConnectAsync(cluster);
        var hosts = await watcher.GetGrain<IManagementGrain>(0).GetHosts(onlyActive: false);
        Assert.Equal(SiloStatus.Active, Assert.Single(hosts, h => h.Key.Endpoint.Port == ProductHosts.SiloPortOf(silo)).Value);
        Assert.DoesNotContain(hosts, h => h.Key.Endpoint.Port == strangerPort && h.Value == SiloStatus.Active);
        Assert.Single(await watcher.GetGrain<IManagementGrain>(0).GetHosts(onlyActive: true));
    }

    private Dictionary<string, string> Settings(string? certificate)
    {
        var settings = new Dictionary<string, string>
        {
            ["Cluster:Provider"] = nameof(ClusterProvider.Redis),
            ["Cluster:Redis"] = _garnet.ConnectionString,
            [DecisionApi.AccountHashSecretKey] = "0x5eed5eed5eed5eed",
        };
        if (certificate is not null)
        {
            settings["Cluster:TlsCertificate"] = certificate;
            settings[$"Cluster:{ClusterSettings.TlsCertificatePasswordKey}"] = "test-password";
        }
        return settings;
    }

    /// <summary>A self-signed certificate with its key, as a PKCS #12 file, as an operator would make one for a cluster.</summary>
    private string Certificate(string name)
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest($"CN=throttlecluster-{name}", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        var path = Path.Combine(_directory, name + ".pfx");
        File.WriteAllBytes(path, certificate.Export(X509ContentType.Pkcs12, "test-password"));
        return path;
    }

    private static async Task ConnectAndCallAsync(Dictionary<string, string> settings)
    {
        await using var client = await ConnectAsync(settings);
        await client.GetGrain<IPolicyGrain>(IPolicyGrain.Key).Get();
    }

    private static async Task<ConnectedClient> ConnectAsync(Dictionary<string, string> settings)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(settings.Select(s => new KeyValuePair<string, string?>(s.Key, s.Value)));
        var cluster = ClusterSettings.Read(builder.Configuration);
        builder.UseOrleansClient(client => client.UseThrottleClustering(cluster));
        var host = builder.Build();
        try
        {
            await host.StartAsync().WaitAsync(TimeSpan.FromSeconds(15));
            return new ConnectedClient(host);
        }
        catch
        {
            host.Dispose();
            throw;
        }
    }

    private sealed class ConnectedClient(IHost host) : IAsyncDisposable
    {
        public TGrain GetGrain<TGrain>(string key) where TGrain : IGrainWithStringKey => host.Services.GetRequiredService<IClusterClient>().GetGrain<TGrain>(key);

        public TGrain GetGrain<TGrain>(long key) where TGrain : IGrainWithIntegerKey => host.Services.GetRequiredService<IClusterClient>().GetGrain<TGrain>(key);

        public async ValueTask DisposeAsync()
        {
            await host.StopAsync();
            host.Dispose();
        }
    }
}
