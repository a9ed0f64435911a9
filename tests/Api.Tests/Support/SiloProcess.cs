using System.Globalization;
using ThrottleCluster.Tests.Support;

namespace ThrottleCluster.Api.Tests.Support;

/// <summary>
/// A real silo: src/Silo's build run as its own process (<c>dotnet ThrottleCluster.Silo.dll</c>) on
/// 127.0.0.1, configured by environment variables as an operator would, in a Redis-clustered
/// cluster. Ready once its <c>/healthz</c> answers, which Kestrel serves only after the silo joined.
/// Killed by process id on dispose.
/// </summary>
public sealed class SiloProcess : IDisposable
{
    public const string AccountHashSecret = "0x5eed5eed5eed5eed";

    private readonly EngineProcess _process;

    private SiloProcess(EngineProcess process, int siloPort, int gatewayPort)
    {
        _process = process;
        SiloPort = siloPort;
        GatewayPort = gatewayPort;
    }

    public int ProcessId => _process.ProcessId;

    public int SiloPort { get; }

    public int GatewayPort { get; }

    public Uri BaseAddress => new($"http://{LoopbackPort.Host}:{_process.Port}");

    public static async Task<SiloProcess> StartAsync(string redis, string clusterId)
    {
        var bin = HostBuilds.OutputDirectory("Silo");
        var (siloPort, gatewayPort) = (LoopbackPort.Free(), LoopbackPort.Free());
        var environment = new Dictionary<string, string>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["Cluster__Provider"] = "Redis",
            ["Cluster__Redis"] = redis,
            ["Cluster__ClusterId"] = clusterId,
            ["Cluster__SiloPort"] = Text(siloPort),
            ["Cluster__GatewayPort"] = Text(gatewayPort),
            ["Throttle__AccountHashSecret"] = AccountHashSecret,
        };
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var process = await EngineProcess.StartAsync(
            "silo",
            GarnetInstallation.DotnetHost(),
            (port, _) => [Path.Combine(bin, "ThrottleCluster.Silo.dll"), "--contentRoot", bin, "--urls", $"http://{LoopbackPort.Host}:{Text(port)}"],
            environment,
            TimeSpan.FromSeconds(90),
            CancellationToken.None,
            isReady: (port, ct) => AnswersAsync(http, port, ct));
        return new SiloProcess(process, siloPort, gatewayPort);
    }

    private static async Task<bool> AnswersAsync(HttpClient http, int port, CancellationToken ct)
    {
        try
        {
            using var response = await http.GetAsync($"http://{LoopbackPort.Host}:{Text(port)}/healthz", ct);
            return response.IsSuccessStatusCode;
        }
        catch (HttpRequestException)
        {
            return false; // not listening yet: Kestrel starts once the silo has joined
        }
    }

    private static string Text(int port) => port.ToString(CultureInfo.InvariantCulture);

    public void Dispose() => _process.Dispose();
}
