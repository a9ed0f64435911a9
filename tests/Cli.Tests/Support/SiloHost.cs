using System.Net;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using ThrottleCluster.Tests.Support;

namespace ThrottleCluster.Cli.Tests.Support;

/// <summary>
/// The Silo's own Program on a real Kestrel server on 127.0.0.1 (an ephemeral port), so the CLI,
/// in process or as a process of its own, reaches it over HTTP. Its Orleans silo and gateway get
/// free loopback ports: other hosts in this process and on this machine have theirs. Settings go in
/// with UseSetting, so Program reads them before it builds.
/// </summary>
public sealed class SiloHost : WebApplicationFactory<Program>
{
    private readonly Dictionary<string, string> _settings;

    private SiloHost(IReadOnlyDictionary<string, string> settings)
    {
        _settings = new Dictionary<string, string>
        {
            ["Cluster:SiloPort"] = LoopbackPort.Free().ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Cluster:GatewayPort"] = LoopbackPort.Free().ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Logging:LogLevel:Default"] = "Warning",
        };
        foreach (var (key, value) in settings) _settings[key] = value;
    }

    public Uri Address => new(Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());

    public static SiloHost Start(IReadOnlyDictionary<string, string> settings)
    {
        var host = new SiloHost(settings);
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

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Production");
        foreach (var (key, value) in _settings) builder.UseSetting(key, value);
    }
}
