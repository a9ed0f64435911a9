using System.Globalization;

namespace ThrottleCluster.Tests.Support;

/// <summary>
/// The product's two programs, the silo and the Api, started from their builds beside the tests
/// (a test project's references to src/Silo and src/Api copy them there) as processes of their own
/// on 127.0.0.1. Configuration goes in as environment variables, as an operator's would; the content
/// root is an empty directory, so no appsettings.json adds anything the test did not say. Every port
/// a host takes (HTTP, and a silo's Orleans silo and gateway ports) is fixed when it first starts,
/// so a restart comes back where its clients and the membership expect it.
/// </summary>
public static class ProductHosts
{
    public static readonly TimeSpan StartupTimeout = TimeSpan.FromSeconds(60);

    public const string SiloProgram = "ThrottleCluster.Silo.dll";
    public const string ApiProgram = "ThrottleCluster.Api.dll";

    public const string SiloPortKey = "Cluster:SiloPort";
    public const string GatewayPortKey = "Cluster:GatewayPort";

    public static Uri AddressOf(int port) => new($"http://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}");

    /// <summary>Starts a silo on free HTTP, silo and gateway ports (unless <paramref name="settings"/> names them).</summary>
    public static Task<ServiceProcess> StartSiloAsync(IReadOnlyDictionary<string, string> settings) => OnFreePortsAsync(() =>
    {
        var withPorts = new Dictionary<string, string>
        {
            [SiloPortKey] = Text(LoopbackPort.Free()),
            [GatewayPortKey] = Text(LoopbackPort.Free()),
        };
        foreach (var (key, value) in settings) withPorts[key] = value;
        return StartAsync("silo", SiloProgram, LoopbackPort.Free(), withPorts);
    });

    /// <param name="program">The Api's program: beside the tests by default, or an absolute path (its own build directory).</param>
    public static Task<ServiceProcess> StartApiAsync(IReadOnlyDictionary<string, string> settings, string program = ApiProgram)
        => OnFreePortsAsync(() => StartAsync("api", program, LoopbackPort.Free(), settings));

    /// <summary>
    /// A port is free only when looked at: another process (another test's host) may bind it before
    /// this one does. Such a start is made again, on other ports.
    /// </summary>
    private static async Task<ServiceProcess> OnFreePortsAsync(Func<Task<ServiceProcess>> start)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await start();
            }
            catch (InvalidOperationException e) when (attempt < 3 && e.Message.Contains("address already in use", StringComparison.OrdinalIgnoreCase))
            {
            }
        }
    }

    /// <summary>The Orleans silo port a silo process was started with.</summary>
    public static int SiloPortOf(ServiceProcess silo) => int.Parse(silo.Environment[Variable(SiloPortKey)], CultureInfo.InvariantCulture);

    /// <summary>
    /// Starts <paramref name="program"/> and waits until its <c>/healthz</c> answers at all: a 503
    /// (engine down) means the host is up and saying why, which is what some tests start it into.
    /// </summary>
    private static Task<ServiceProcess> StartAsync(string name, string program, int port, IReadOnlyDictionary<string, string> settings)
    {
        var address = AddressOf(port);
        var environment = new Dictionary<string, string>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["ASPNETCORE_URLS"] = address.ToString(),
            ["DOTNET_gcServer"] = "0", // several hosts share two cores
            ["Logging__LogLevel__Default"] = "Warning",
        };
        foreach (var (key, value) in settings) environment[Variable(key)] = value;
        return ServiceProcess.StartAsync(
            $"{name} {address}",
            port,
            GarnetInstallation.DotnetHost(),
            [Path.Combine(AppContext.BaseDirectory, program), "--contentRoot", EmptyContentRoot.Value],
            environment,
            async ct => await HealthAnswersAsync(address, ct),
            StartupTimeout);
    }

    /// <summary>A configuration key as the environment variable that sets it.</summary>
    public static string Variable(string key) => key.Replace(":", "__", StringComparison.Ordinal);

    private static string Text(int port) => port.ToString(CultureInfo.InvariantCulture);

    // Beside the tests, so runs do not leave one behind each in the temp folder.
    private static readonly Lazy<string> EmptyContentRoot = new(() => Directory.CreateDirectory(Path.Combine(AppContext.BaseDirectory, "empty-content-root")).FullName);

    private static readonly HttpClient Probe = new() { Timeout = TimeSpan.FromSeconds(2) };

    private static async Task<bool> HealthAnswersAsync(Uri address, CancellationToken ct)
    {
        using var response = await Probe.GetAsync(new Uri(address, "/healthz"), ct);
        return true;
    }
}
