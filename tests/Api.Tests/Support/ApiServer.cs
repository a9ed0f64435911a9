using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using ThrottleCluster.Api.Gate;
using ThrottleCluster.Api.Hosting;
using ThrottleCluster.Tests.Support;

namespace ThrottleCluster.Api.Tests.Support;

/// <summary>
/// The Api on a real Kestrel server on 127.0.0.1 (an ephemeral port), built as Program builds it
/// (<see cref="ApiHost"/>), with a test gate. Embedded by default, with silo and gateway ports of its
/// own. Start-up failures surface as they happen.
/// </summary>
public sealed class ApiServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly string _directory;

    private ApiServer(WebApplication app, string directory, TestResetGate gate)
    {
        _app = app;
        _directory = directory;
        Gate = gate;
        MailDirectory = Path.Combine(directory, "mail");
    }

    public TestResetGate Gate { get; }

    public IServiceProvider Services => _app.Services;

    public string MailDirectory { get; }

    public Uri BaseAddress => new(_app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());

    public HttpClient CreateClient() => new() { BaseAddress = BaseAddress };

    /// <summary>Default test settings: accounts in a temporary file, mail to a temporary pickup directory.</summary>
    public static Dictionary<string, string?> DefaultSettings(string directory)
    {
        var accounts = Path.Combine(directory, "accounts.json");
        File.WriteAllText(accounts, ApiFactory.AccountsJson);
        return new()
        {
            ["Accounts:File"] = accounts,
            ["Email:PickupDirectory"] = Path.Combine(directory, "mail"),
            ["Email:ResetUrlTemplate"] = "https://app.example.com/reset?token={token}",
            ["Email:Smtp:From"] = "Example <no-reply@example.com>",
            ["Outbox:RetryDelay"] = "00:00:00.05",
            ["Outbox:PollInterval"] = "00:00:00.02",
            ["Cluster:SiloPort"] = LoopbackPort.Free().ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Cluster:GatewayPort"] = LoopbackPort.Free().ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
    }

    /// <param name="settings">Applied over <see cref="DefaultSettings"/>; a null value removes a default.</param>
    public static async Task<ApiServer> StartAsync(IDictionary<string, string?>? settings = null, Action<IServiceCollection>? services = null)
    {
        var directory = Directory.CreateTempSubdirectory("tc-api-server-").FullName;
        var values = DefaultSettings(directory);
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            if (value is null) values.Remove(key);
            else values[key] = value;
        }
        var gate = new TestResetGate();
        WebApplication? app = null;
        try
        {
            var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Production", ContentRootPath = directory });
            builder.Configuration.AddInMemoryCollection(values);
            builder.Logging.SetMinimumLevel(LogLevel.Warning);
            builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
            builder.AddThrottleApi();
            builder.Services.AddSingleton<IResetGate>(gate);
            services?.Invoke(builder.Services);
            app = builder.Build();
            app.MapThrottleApi();
            await app.StartAsync();
        }
        catch
        {
            if (app is not null) await app.DisposeAsync();
            Directory.Delete(directory, recursive: true);
            throw;
        }
        return new ApiServer(app, directory, gate);
    }

    public IReadOnlyList<string> MailFiles()
        => Directory.Exists(MailDirectory) ? Directory.GetFiles(MailDirectory, "*.eml").Order(StringComparer.Ordinal).ToList() : [];

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
