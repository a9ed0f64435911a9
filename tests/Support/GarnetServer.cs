using System.Globalization;

namespace ThrottleCluster.Tests.Support;

/// <summary>
/// A Garnet server process on 127.0.0.1 for tests: Lua on and atomic, small memory, nothing
/// persisted. Dispose it (or let the test process exit) and the process and its directory are gone.
/// </summary>
public sealed class GarnetServer : IDisposable, IAsyncDisposable
{
    public static readonly TimeSpan DefaultStartupTimeout = TimeSpan.FromSeconds(60);

    // Every node, alone or in a cluster. Without --lua-transaction-mode Garnet interleaves other
    // clients' commands with a script's, and two compare-and-set scripts can both win.
    private static readonly string[] CommonFlags = ["--lua", "--lua-transaction-mode", "-m", "256m", "-i", "16m"];

    // Workstation GC: a test engine on a small machine needs little memory more than it needs throughput.
    private static readonly Dictionary<string, string> ProcessEnvironment = new() { ["DOTNET_gcServer"] = "0" };

    private readonly EngineProcess _process;

    private GarnetServer(EngineProcess process) => _process = process;

    public string Host => LoopbackPort.Host;

    public int Port => _process.Port;

    /// <summary>A StackExchange.Redis configuration string for this node.</summary>
    public string ConnectionString => $"{Host}:{Port}";

    public int ProcessId => _process.ProcessId;

    public static Task<GarnetServer> StartAsync(TimeSpan? startupTimeout = null, CancellationToken cancellationToken = default)
        => StartAsync("garnet", [], startupTimeout, cancellationToken);

    internal static async Task<GarnetServer> StartAsync(string name, IEnumerable<string> extraFlags, TimeSpan? startupTimeout, CancellationToken cancellationToken)
    {
        var dll = GarnetInstallation.ServerDll();
        var process = await EngineProcess.StartAsync(
            name,
            GarnetInstallation.DotnetHost(),
            (port, _) => [dll, "--bind", LoopbackPort.Host, "--port", port.ToString(CultureInfo.InvariantCulture), .. CommonFlags, .. extraFlags],
            ProcessEnvironment,
            startupTimeout ?? DefaultStartupTimeout,
            cancellationToken);
        return new GarnetServer(process);
    }

    /// <summary>Runs one administrative command on this node (see <see cref="RespClient"/>).</summary>
    public Task<object?> ExecuteAsync(params string[] command) => RespClient.ExecuteOnceAsync(Host, Port, command);

    internal InvalidOperationException Failure(string what) => _process.Failure(what);

    public void Dispose() => _process.Dispose();

    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }
}
