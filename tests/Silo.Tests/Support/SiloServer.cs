using System.Net;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;

namespace ThrottleCluster.Silo.Tests.Support;

/// <summary>
/// The Silo's own Program on a real Kestrel server on 127.0.0.1 (an ephemeral port): connections
/// have a real peer address (127.0.0.1, trusted by default) and Kestrel's own parsing and limits.
/// </summary>
public sealed class SiloServer : SiloFactory
{
    private SiloServer()
    {
    }

    protected override bool SetsPeer => false;

    /// <summary>More host configuration, applied after the silo's test settings (a listen socket, a middleware).</summary>
    private Action<IWebHostBuilder>? ConfigureHost { get; init; }

    public Uri BaseAddress => new(Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());

    public HttpClient CreateHttpClient() => new() { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(30) };

    /// <summary>Starts the silo; start-up validation throws from here, and nothing is left running.</summary>
    /// <param name="settings">Applied over <see cref="SiloFactory.DefaultSettings"/>; a null value removes a default.</param>
    /// <param name="listen">Where Kestrel listens: 127.0.0.1 on an ephemeral port by default.</param>
    public static async Task<SiloServer> StartAsync(IDictionary<string, string?>? settings = null, Action<KestrelServerOptions>? listen = null,
        Action<IWebHostBuilder>? configureHost = null)
    {
        var server = new SiloServer { ConfigureHost = configureHost };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>()) server.Settings[key] = value;
        server.UseKestrel(listen ?? (kestrel => kestrel.Listen(IPAddress.Loopback, 0)));
        try
        {
            await Task.Run(server.StartServer);
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
        return server;
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        ConfigureHost?.Invoke(builder);
    }
}
