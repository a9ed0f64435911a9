using System.Globalization;
using ThrottleCluster.Tests.Support;

namespace ThrottleCluster.Reliability.Tests.Support;

/// <summary>
/// Garnet as a deployment runs it: on a port of its own that stays the same across restarts, and
/// with its data in a directory that outlives the process. <see cref="Kill"/> is SIGKILL by process
/// id; <see cref="RestartAsync"/> starts it again on the same port and directory with
/// <c>--recover</c>. The directory is removed on dispose.
/// </summary>
public sealed class DurableGarnet : IAsyncDisposable
{
    /// <summary>
    /// The persistence flags of scripts/cluster-up.sh (see RELIABILITY.md): every write goes to the
    /// append-only file (<c>--aof</c>), committed per operation (<c>--aof-commit-freq 0</c>) and
    /// flushed before the client gets its answer (<c>--aof-commit-wait</c>), so an acknowledged
    /// write survives the process being killed; <c>--recover</c> replays it on start. Debian 12 needs
    /// <c>--device-type RandomAccess</c>: with the bundled native device Garnet aborts on the first
    /// write once AOF is on.
    /// </summary>
    public static readonly string[] PersistenceFlags = ["--device-type", "RandomAccess", "--aof", "--aof-commit-freq", "0", "--aof-commit-wait", "--recover"];

    // As GarnetServer: Lua on and atomic, small memory.
    private static readonly string[] CommonFlags = ["--lua", "--lua-transaction-mode", "-m", "256m", "-i", "16m"];

    private readonly ServiceProcess _process;
    private readonly string _directory;

    private DurableGarnet(ServiceProcess process, string directory)
    {
        _process = process;
        _directory = directory;
    }

    public int Port => _process.Port;

    public string ConnectionString => $"{LoopbackPort.Host}:{Port}";

    public static readonly TimeSpan StartupTimeout = TimeSpan.FromSeconds(60);

    /// <summary>Starts Garnet on a free port; <paramref name="persistent"/> adds <see cref="PersistenceFlags"/>.</summary>
    public static async Task<DurableGarnet> StartAsync(bool persistent)
    {
        var directory = Directory.CreateTempSubdirectory("tc-garnet-").FullName;
        var port = LoopbackPort.Free();
        string[] persistence = persistent ? ["--checkpointdir", directory, .. PersistenceFlags] : [];
        try
        {
            var process = await ServiceProcess.StartAsync(
                "garnet", port, GarnetInstallation.DotnetHost(),
                [GarnetInstallation.ServerDll(), "--bind", LoopbackPort.Host, "--port", port.ToString(CultureInfo.InvariantCulture), .. CommonFlags, .. persistence],
                new Dictionary<string, string> { ["DOTNET_gcServer"] = "0" },
                async ct => await RespClient.ExecuteOnceAsync(LoopbackPort.Host, port, ["PING"], ct) is "PONG",
                StartupTimeout);
            return new DurableGarnet(process, directory);
        }
        catch
        {
            Directory.Delete(directory, recursive: true);
            throw;
        }
    }

    /// <summary>SIGKILL: nothing flushed on the way out; only what the AOF already holds survives.</summary>
    public void Kill() => _process.Kill();

    public Task RestartAsync() => _process.RestartAsync(StartupTimeout);

    public async ValueTask DisposeAsync()
    {
        await _process.DisposeAsync();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
