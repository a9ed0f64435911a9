using System.Globalization;
using System.Net.Sockets;
using ThrottleCluster.Tests.Support;

namespace ThrottleCluster.Reliability.Tests.Support;

/// <summary>
/// Azurite (Blob, Queue and Table) as a deployment's store would run: on ports of its own that stay
/// the same across restarts, keeping its data in a directory (<c>--location</c>) rather than in
/// memory. <see cref="Kill"/> is SIGKILL by process id; <see cref="RestartAsync"/> starts it again on
/// the same ports and directory. The directory is removed on dispose.
/// </summary>
public sealed class DurableAzurite : IAsyncDisposable
{
    public static readonly TimeSpan StartupTimeout = TimeSpan.FromSeconds(60);

    // The emulator's one well-known account.
    private const string Account = "devstoreaccount1";
    private const string Key = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    private readonly ServiceProcess _process;
    private readonly string _directory;
    private readonly int _blobPort, _queuePort;

    private DurableAzurite(ServiceProcess process, string directory, int blobPort, int queuePort)
    {
        _process = process;
        _directory = directory;
        _blobPort = blobPort;
        _queuePort = queuePort;
    }

    public string ConnectionString =>
        $"DefaultEndpointsProtocol=http;AccountName={Account};AccountKey={Key};" +
        $"BlobEndpoint=http://127.0.0.1:{_blobPort}/{Account};QueueEndpoint=http://127.0.0.1:{_queuePort}/{Account};TableEndpoint=http://127.0.0.1:{_process.Port}/{Account};";

    public static async Task<DurableAzurite> StartAsync()
    {
        var package = await NpmPackages.InstallAsync("azurite");
        var directory = Directory.CreateTempSubdirectory("tc-azurite-").FullName;
        int tablePort = LoopbackPort.Free(), blobPort = LoopbackPort.Free(), queuePort = LoopbackPort.Free();
        try
        {
            var process = await ServiceProcess.StartAsync(
                "azurite", tablePort, Path.Combine(package, "node_modules", ".bin", "azurite"),
                ["--silent", "--skipApiVersionCheck", "--location", directory,
                 "--blobHost", LoopbackPort.Host, "--blobPort", Text(blobPort), "--queueHost", LoopbackPort.Host, "--queuePort", Text(queuePort),
                 "--tableHost", LoopbackPort.Host, "--tablePort", Text(tablePort)],
                new Dictionary<string, string>(),
                async ct => await AcceptsAsync(tablePort, ct) && await AcceptsAsync(blobPort, ct) && await AcceptsAsync(queuePort, ct),
                StartupTimeout);
            return new DurableAzurite(process, directory, blobPort, queuePort);
        }
        catch
        {
            Directory.Delete(directory, recursive: true);
            throw;
        }
    }

    /// <summary>SIGKILL: nothing flushed on the way out; only what Azurite already wrote to its directory survives.</summary>
    public void Kill() => _process.Kill();

    public Task RestartAsync() => _process.RestartAsync(StartupTimeout);

    private static async Task<bool> AcceptsAsync(int port, CancellationToken ct)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(LoopbackPort.Host, port, ct);
        return true;
    }

    private static string Text(int port) => port.ToString(CultureInfo.InvariantCulture);

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
