using System.Globalization;
using ThrottleCluster.Runtime.Testing;

namespace ThrottleCluster.Reliability.Tests.Support;

/// <summary>
/// The product's two programs, the silo and the Api, started from their builds beside the tests
/// (the project references copy them here) as processes of their own on 127.0.0.1. Configuration
/// goes in as environment variables, as an operator's would; the content root is an empty
/// directory, so no appsettings.json adds anything the test did not say.
/// </summary>
public static class ProductHosts
{
    public static readonly TimeSpan StartupTimeout = TimeSpan.FromSeconds(60);

    public const string SiloProgram = "ThrottleCluster.Silo.dll";
    public const string ApiProgram = "ThrottleCluster.Api.dll";

    public static Uri AddressOf(int port) => new($"http://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}");

    /// <summary>A free loopback port to pin a host to, so it can be restarted where its clients expect it.</summary>
    public static int FreePort() => LoopbackPort.Free();

    public static Task<ServiceProcess> StartSiloAsync(int port, IReadOnlyDictionary<string, string> settings)
        => StartAsync("silo", SiloProgram, port, settings);

    public static Task<ServiceProcess> StartApiAsync(int port, IReadOnlyDictionary<string, string> settings)
        => StartAsync("api", ApiProgram, port, settings);

    /// <summary>
    /// Starts <paramref name="program"/> and waits until its <c>/healthz</c> answers at all: a 503
    /// (engine down) means the host is up and saying why, which is what some tests start it into.
    /// </summary>
    public static Task<ServiceProcess> StartAsync(string name, string program, int port, IReadOnlyDictionary<string, string> settings)
    {
        var address = AddressOf(port);
        var environment = new Dictionary<string, string>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["DOTNET_gcServer"] = "0", // several hosts share two cores
            ["Logging__LogLevel__Default"] = "Warning",
        };
        foreach (var (key, value) in settings) environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
        return ServiceProcess.StartAsync(
            $"{name} {address}",
            port,
            GarnetInstallation.DotnetHost(),
            [Path.Combine(AppContext.BaseDirectory, program), "--contentRoot", EmptyContentRoot.Value, "--urls", address.ToString()],
            environment,
            async ct => await HealthAnswersAsync(address, ct),
            StartupTimeout);
    }

    // Beside the tests, so runs do not leave one behind each in the temp folder.
    private static readonly Lazy<string> EmptyContentRoot = new(() => Directory.CreateDirectory(Path.Combine(AppContext.BaseDirectory, "empty-content-root")).FullName);

    private static readonly HttpClient Probe = new() { Timeout = TimeSpan.FromSeconds(2) };

    private static async Task<bool> HealthAnswersAsync(Uri address, CancellationToken ct)
    {
        using var response = await Probe.GetAsync(new Uri(address, "/healthz"), ct);
        return true;
    }
}
