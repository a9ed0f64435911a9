using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using ThrottleCluster.Runtime.Hosting;
using ThrottleCluster.Runtime.Storage;

namespace ThrottleCluster.Runtime.Testing;

/// <summary>One silo of a <see cref="TestCluster"/>: a real HTTP host on a loopback port it keeps across restarts.</summary>
public sealed class TestSilo
{
    private readonly TestClusterOptions _options;
    private WebApplication? _app;
    private IGrainStorage? _storage;

    internal TestSilo(int index, TestClusterOptions options)
    {
        Index = index;
        _options = options;
        Address = new Uri($"http://{LoopbackPort.Host}:{LoopbackPort.Free()}");
    }

    public int Index { get; }

    public Uri Address { get; }

    public bool IsRunning => _app is not null;

    /// <summary>The running silo's runtime; a restart makes a new one.</summary>
    public GrainRuntime Runtime => Services.GetRequiredService<GrainRuntime>();

    public IServiceProvider Services => _app?.Services ?? throw new InvalidOperationException($"Silo {Index} is not running.");

    internal async Task StartAsync(IGrainStorage sharedMemory, IEnumerable<Uri> cluster)
    {
        if (_app is not null) throw new InvalidOperationException($"Silo {Index} is already running.");
        var storage = _options.OpenStorage?.Invoke() ?? sharedMemory;
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls(Address.ToString());
        // Over any appsettings.json that was copied beside the tests; a test's own settings win.
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["Logging:LogLevel:Default"] = "Warning", ["Logging:LogLevel:Microsoft"] = "Warning" });
        builder.Configuration.AddInMemoryCollection(_options.Configuration);
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            [ClusterMembership.SilosKey] = string.Join(',', cluster),
            [ClusterMembership.SelfKey] = Address.ToString(),
        });
        builder.Services.AddSingleton(storage);
        if (_options.ConfigureSilo is { } configure) configure(builder);
        else builder.Services.AddGrainRuntime(_options.Grains, sp => sp.GetRequiredService<IGrainStorage>(), _options.Runtime);
        var app = builder.Build();
        if (_options.MapSilo is { } map) map(app);
        else app.MapGrains();
        await app.StartAsync();
        _app = app;
        _storage = storage;
    }

    /// <summary>Drains requests in flight, then stops.</summary>
    internal async Task StopAsync()
    {
        if (_app is not { } app) return;
        _app = null;
        await app.StopAsync();
        await app.DisposeAsync();
        await CloseStorageAsync();
    }

    /// <summary>
    /// Stops as a killed process would: queued calls fail, connections are cut, no write is started
    /// afterwards. A write already on the wire may still land, exactly as with a real crash.
    /// </summary>
    internal async Task KillAsync()
    {
        if (_app is not { } app) return;
        _app = null;
        app.Services.GetRequiredService<GrainRuntime>().Abort();
        await app.StopAsync(new CancellationToken(canceled: true));
        await CloseStorageAsync();
        await app.DisposeAsync();
    }

    private async Task CloseStorageAsync()
    {
        var storage = _storage;
        _storage = null;
        if (storage is IAsyncDisposable asyncDisposable) await asyncDisposable.DisposeAsync();
        else if (storage is IDisposable disposable) disposable.Dispose();
    }
}
