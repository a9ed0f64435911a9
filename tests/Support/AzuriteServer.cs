using System.Globalization;
using System.Net.Sockets;

namespace ThrottleCluster.Tests.Support;

/// <summary>
/// Azurite, the Azure Storage emulator (Blob, Queue and Table), on 127.0.0.1 ports of its own, in
/// memory. Dispose it (or let the test process exit) and the process is gone.
/// </summary>
public sealed class AzuriteServer : IDisposable, IAsyncDisposable
{
    public static readonly TimeSpan DefaultStartupTimeout = TimeSpan.FromSeconds(60);

    // The emulator's one well-known account.
    private const string Account = "devstoreaccount1";
    private const string Key = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    private readonly EngineProcess _process;
    private readonly int _blobPort, _queuePort;

    private AzuriteServer(EngineProcess process, int blobPort, int queuePort)
    {
        _process = process;
        _blobPort = blobPort;
        _queuePort = queuePort;
    }

    public int ProcessId => _process.ProcessId;

    public int TablePort => _process.Port;

    public int QueuePort => _queuePort;

    public string ConnectionString =>
        $"DefaultEndpointsProtocol=http;AccountName={Account};AccountKey={Key};" +
        $"BlobEndpoint=http://127.0.0.1:{_blobPort}/{Account};QueueEndpoint=http://127.0.0.1:{_queuePort}/{Account};TableEndpoint=http://127.0.0.1:{TablePort}/{Account};";

    public static async Task<AzuriteServer> StartAsync(TimeSpan? startupTimeout = null, CancellationToken cancellationToken = default)
    {
        var directory = await NpmPackages.InstallAsync("azurite");
        var blobPort = LoopbackPort.Free();
        var queuePort = LoopbackPort.Free();
        var process = await EngineProcess.StartAsync(
            "azurite",
            Path.Combine(directory, "node_modules", ".bin", "azurite"),
            (port, _) =>
            [
                "--silent", "--inMemoryPersistence", "--skipApiVersionCheck",
                "--blobHost", LoopbackPort.Host, "--blobPort", Text(blobPort),
                "--queueHost", LoopbackPort.Host, "--queuePort", Text(queuePort),
                "--tableHost", LoopbackPort.Host, "--tablePort", Text(port),
            ],
            new Dictionary<string, string>(),
            startupTimeout ?? DefaultStartupTimeout,
            cancellationToken,
            isReady: async (port, ct) => await Accepts(port, ct) && await Accepts(blobPort, ct) && await Accepts(queuePort, ct));
        return new AzuriteServer(process, blobPort, queuePort);
    }

    private static async Task<bool> Accepts(int port, CancellationToken ct)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(LoopbackPort.Host, port, ct);
        return true;
    }

    private static string Text(int port) => port.ToString(CultureInfo.InvariantCulture);

    public void Dispose() => _process.Dispose();

    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }
}
