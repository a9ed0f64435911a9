using System.Globalization;

namespace ThrottleCluster.Tests.Support;

/// <summary>
/// A Redis server process on 127.0.0.1 for tests, persisting nothing. Dispose it (or let the test
/// process exit) and the process and its directory are gone.
/// </summary>
public sealed class RedisServer : IDisposable, IAsyncDisposable
{
    public static readonly TimeSpan DefaultStartupTimeout = TimeSpan.FromSeconds(30);

    private readonly EngineProcess _process;

    private RedisServer(EngineProcess process) => _process = process;

    public string Host => LoopbackPort.Host;

    public int Port => _process.Port;

    /// <summary>A StackExchange.Redis configuration string for this server.</summary>
    public string ConnectionString => $"{Host}:{Port}";

    public int ProcessId => _process.ProcessId;

    public static async Task<RedisServer> StartAsync(TimeSpan? startupTimeout = null, CancellationToken cancellationToken = default)
    {
        var process = await EngineProcess.StartAsync(
            "redis",
            Executable(),
            (port, directory) =>
            [
                "--bind", LoopbackPort.Host, "--port", port.ToString(CultureInfo.InvariantCulture),
                "--save", "", "--appendonly", "no", "--dir", directory, "--daemonize", "no",
            ],
            new Dictionary<string, string>(),
            startupTimeout ?? DefaultStartupTimeout,
            cancellationToken);
        return new RedisServer(process);
    }

    /// <summary>Runs one administrative command on this server (see <see cref="RespClient"/>).</summary>
    public Task<object?> ExecuteAsync(params string[] command) => RespClient.ExecuteOnceAsync(Host, Port, command);

    private static string Executable()
    {
        var onPath = (Environment.GetEnvironmentVariable("PATH") ?? "")
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Append("/usr/bin")
            .Select(directory => Path.Combine(directory, "redis-server"))
            .FirstOrDefault(File.Exists);
        return onPath ?? throw new FileNotFoundException("redis-server is neither on PATH nor in /usr/bin; install it (Debian: apt-get install redis-server).");
    }

    public void Dispose() => _process.Dispose();

    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }
}
