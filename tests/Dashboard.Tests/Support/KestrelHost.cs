using System.Globalization;
using System.Net;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using ThrottleCluster.Tests.Support;

namespace ThrottleCluster.Dashboard.Tests.Support;

/// <summary>
/// A host's own Program (the Api's or the Silo's) on a real Kestrel server on 127.0.0.1 (an
/// ephemeral port). Its Orleans silo and gateway get free loopback ports of their own, as every
/// silo in one process must. Settings go in with UseSetting, so Program reads them before it builds.
/// </summary>
public sealed class KestrelHost<TEntryPoint> : WebApplicationFactory<TEntryPoint> where TEntryPoint : class
{
    private readonly Dictionary<string, string> _settings;

    private KestrelHost(IReadOnlyDictionary<string, string> settings)
    {
        _settings = new Dictionary<string, string>
        {
            ["Cluster:SiloPort"] = LoopbackPort.Free().ToString(CultureInfo.InvariantCulture),
            ["Cluster:GatewayPort"] = LoopbackPort.Free().ToString(CultureInfo.InvariantCulture),
            ["Logging:LogLevel:Default"] = "Warning",
        };
        foreach (var (key, value) in settings) _settings[key] = value;
    }

    public Uri Address => new(Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());

    /// <exception cref="Exception">The host did not start (a setting it refuses); nothing is left running.</exception>
    public static KestrelHost<TEntryPoint> Start(IReadOnlyDictionary<string, string> settings)
    {
        var host = new KestrelHost<TEntryPoint>(settings);
        try
        {
            host.UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
            host.StartServer();
            return host;
        }
        catch
        {
            host.Dispose();
            throw;
        }
    }

    /// <summary>A client of this host's HTTP address, for requests a test makes itself.</summary>
    public HttpClient CreateHttpClient() => new() { BaseAddress = Address, Timeout = TimeSpan.FromSeconds(30) };

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Production");
        foreach (var (key, value) in _settings) builder.UseSetting(key, value);
    }
}
