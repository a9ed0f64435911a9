using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ThrottleCluster.Silo.Tests.Support;

/// <summary>
/// A silo built the way its Program builds it, on a real Kestrel server on 127.0.0.1 (an
/// ephemeral port): connections have a real peer address (127.0.0.1, trusted by default).
/// </summary>
public sealed class SiloServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private SiloServer(WebApplication app, CapturedLogs logs)
    {
        _app = app;
        Logs = logs;
    }

    public CapturedLogs Logs { get; }

    public IServiceProvider Services => _app.Services;

    public Uri BaseAddress => new(_app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());

    public HttpClient CreateClient() => new() { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(30) };

    public static Dictionary<string, string?> DefaultSettings() => new()
    {
        [AdminApiKey.ConfigurationKey] = SiloFactory.ApiKey,
        [SiloHosting.AccountHashSecretKey] = "0x5eed5eed5eed5eed",
    };

    /// <summary>Builds the silo as Program does; start-up validation throws from here.</summary>
    /// <param name="settings">Applied over <see cref="DefaultSettings"/>; a null value removes a default.</param>
    public static WebApplication Build(IDictionary<string, string?>? settings = null, CapturedLogs? logs = null)
    {
        var values = DefaultSettings();
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            if (value is null) values.Remove(key);
            else values[key] = value;
        }
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Production", ContentRootPath = AppContext.BaseDirectory });
        builder.Configuration.AddInMemoryCollection(values);
        builder.Logging.ClearProviders();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        if (logs is not null) builder.Logging.AddProvider(logs);
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
        builder.AddThrottleSilo();
        var app = builder.Build();
        app.MapThrottleSilo();
        return app;
    }

    public static async Task<SiloServer> StartAsync(IDictionary<string, string?>? settings = null)
    {
        var logs = new CapturedLogs();
        var app = Build(settings, logs);
        try
        {
            await app.StartAsync();
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }
        return new SiloServer(app, logs);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
