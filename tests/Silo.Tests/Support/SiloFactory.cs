using System.Globalization;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using ThrottleCluster.Tests.Support;

namespace ThrottleCluster.Silo.Tests.Support;

/// <summary>
/// The Silo's own Program in-process: a real Orleans silo (localhost clustering on ports of its own,
/// memory storage unless <see cref="Settings"/> say otherwise) and the decision API on TestServer.
/// TestServer has no connection, so the peer address is set by a startup filter:
/// <see cref="DefaultPeer"/>, or per request the <see cref="PeerHeader"/> header ("none" for no
/// address at all), which the filter removes before the silo sees the request. <see cref="Settings"/>
/// apply before the host is built, as host settings, so the silo's builder sees them as it would see
/// its own. The clock is <see cref="Time"/>, which only moves when a test moves it.
/// </summary>
public class SiloFactory : WebApplicationFactory<Program>
{
    public const string PeerHeader = "X-Test-Peer";
    public const string ApiKey = "test-admin-key-0123456789";
    public const ulong AccountHashSecret = 0x5eed5eed5eed5eedUL;

    /// <summary>An admin key, the account hash secret and free silo and gateway ports; <c>null</c> removes a value.</summary>
    public Dictionary<string, string?> Settings { get; } = DefaultSettings();

    /// <summary>The connection's peer when the request names none: an untrusted public address by default.</summary>
    public IPAddress? DefaultPeer { get; set; } = IPAddress.Parse("192.0.2.200");

    /// <summary>
    /// The silo's clock, for its grains, audit trail and refresh timers and for Orleans' own timers:
    /// it starts at a whole second and stands still until a test advances it. Null: the system clock,
    /// for silos that must keep membership with each other or time out calls to a stalled engine.
    /// </summary>
    public FakeTimeProvider? Time { get; set; } = new(DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.ToUnixTimeSeconds()));

    public CapturedLogs Logs { get; } = new();

    /// <summary>Registered after the silo's own services, so a registration here replaces one of theirs.</summary>
    public Action<IServiceCollection>? ExtraServices { get; set; }

    /// <summary>Whether requests get their peer from <see cref="PeerHeader"/>; a real server has real peers.</summary>
    protected virtual bool SetsPeer => true;

    public static Dictionary<string, string?> DefaultSettings() => new()
    {
        [AdminApiKey.ConfigurationKey] = ApiKey,
        [DecisionApi.AccountHashSecretKey] = "0x" + AccountHashSecret.ToString("x", CultureInfo.InvariantCulture),
        // Tests run in parallel, each silo in this process: Orleans' default ports would collide.
        [$"{ClusterSettings.Section}:{nameof(ClusterSettings.SiloPort)}"] = LoopbackPort.Free().ToString(CultureInfo.InvariantCulture),
        [$"{ClusterSettings.Section}:{nameof(ClusterSettings.GatewayPort)}"] = LoopbackPort.Free().ToString(CultureInfo.InvariantCulture),
    };

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
            if (SetsPeer) services.AddSingleton<IStartupFilter>(new PeerFilter(this));
            if (Time is not null) services.AddSingleton<TimeProvider>(Time);
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
