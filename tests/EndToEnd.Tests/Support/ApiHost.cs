using System.Net;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using ThrottleCluster.Api.Gate;

namespace ThrottleCluster.EndToEnd.Tests.Support;

/// <summary>
/// The Api's own Program (AddResetGate, AddResetFrontEnd, MapResetGate, MapResetFrontEnd) on a real
/// Kestrel server on 127.0.0.1 (an ephemeral port), configured by <paramref name="settings"/>.
/// Settings go in with UseSetting, so Program sees them before it builds (AddResetGate picks cluster
/// mode from Cluster:Silos while the builder is still open).
/// </summary>
// The type argument only names the Api's assembly (Silo, referenced, has a Program too).
public sealed class ApiHost(IReadOnlyDictionary<string, string> settings) : WebApplicationFactory<InProcessResetGate>
{
    public Uri Address => new(Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());

    public static ApiHost Start(IReadOnlyDictionary<string, string> settings)
    {
        var host = new ApiHost(settings);
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
        foreach (var (key, value) in settings) builder.UseSetting(key, value);
    }
}
