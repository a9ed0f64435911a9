using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ThrottleCluster.Silo.Tests.Support;

/// <summary>
/// The Silo's own Program in-process (TestServer), memory storage, the system clock. TestServer
/// has no connection, so the peer address is set by a startup filter: <see cref="DefaultPeer"/>,
/// or per request the <see cref="PeerHeader"/> header ("none" for no address at all), which the
/// filter removes before the silo sees the request. <see cref="Settings"/> apply before the host
/// is built, as host settings, so the silo's builder sees them as it would see its own.
/// </summary>
public sealed class SiloFactory : WebApplicationFactory<Program>
{
    public const string PeerHeader = "X-Test-Peer";
    public const string ApiKey = "test-admin-key-0123456789";

    /// <summary>Only an admin key is set by default; <c>null</c> removes it.</summary>
    public Dictionary<string, string?> Settings { get; } = new()
    {
        [AdminApiKey.ConfigurationKey] = ApiKey,
        [SiloHosting.AccountHashSecretKey] = "0x5eed5eed5eed5eed",
    };

    /// <summary>The connection's peer when the request names none: an untrusted public address by default.</summary>
    public IPAddress? DefaultPeer { get; set; } = IPAddress.Parse("192.0.2.200");

    public CapturedLogs Logs { get; } = new();

    /// <summary>Registered after the silo's own services, so a registration here replaces one of theirs.</summary>
    public Action<IServiceCollection>? ExtraServices { get; set; }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Production");
        foreach (var (key, value) in Settings)
        {
            if (value is not null) builder.UseSetting(key, value);
        }
        builder.ConfigureLogging(logging =>
        {
            logging.ClearProviders();
            logging.SetMinimumLevel(LogLevel.Warning);
            logging.AddProvider(Logs);
        });
        builder.ConfigureTestServices(services =>
        {
            services.AddSingleton<IStartupFilter>(new PeerFilter(this));
            ExtraServices?.Invoke(services);
        });
    }

    public HttpClient CreateSiloClient()
    {
        var client = CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        client.Timeout = TimeSpan.FromSeconds(30);
        return client;
    }

    private sealed class PeerFilter(SiloFactory factory) : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Use((context, following) =>
            {
                var peer = factory.DefaultPeer;
                if (context.Request.Headers.TryGetValue(PeerHeader, out var named))
                {
                    context.Request.Headers.Remove(PeerHeader);
                    peer = named.ToString() == "none" ? null : IPAddress.Parse(named.ToString());
                }
                context.Connection.RemoteIpAddress = peer;
                return following(context);
            });
            next(app);
        };
    }
}
