using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace ThrottleCluster.Tests.Support;

/// <summary>
/// A real Prometheus server (Debian's <c>prometheus</c> package) on a free loopback port, with a
/// configuration of the test's scrape jobs (every second) and its storage in its own temporary
/// directory; stopped by process id on dispose.
/// </summary>
public sealed class PrometheusServer : IDisposable
{
    public const string Executable = "/usr/bin/prometheus";
    public const string Promtool = "/usr/bin/promtool";

    private readonly EngineProcess _process;
    private readonly HttpClient _http;

    private PrometheusServer(EngineProcess process)
    {
        _process = process;
        _http = new HttpClient { BaseAddress = new Uri($"http://{LoopbackPort.Host}:{process.Port.ToString(CultureInfo.InvariantCulture)}"), Timeout = TimeSpan.FromSeconds(10) };
    }

    /// <param name="jobs">Job name → the hosts it scrapes at <c>/metrics</c>.</param>
    public static async Task<PrometheusServer> StartAsync(IReadOnlyDictionary<string, IReadOnlyList<Uri>> jobs, CancellationToken cancellationToken = default)
    {
        using var probe = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var process = await EngineProcess.StartAsync(
            "prometheus",
            Executable,
            (port, directory) =>
            {
                var config = Path.Combine(directory, "prometheus.yml");
                File.WriteAllText(config, Configuration(jobs));
                return
                [
                    "--config.file=" + config,
                    "--storage.tsdb.path=" + Path.Combine(directory, "data"),
                    $"--web.listen-address={LoopbackPort.Host}:{port.ToString(CultureInfo.InvariantCulture)}",
                ];
            },
            new Dictionary<string, string>(),
            TimeSpan.FromSeconds(60),
            cancellationToken,
            async (port, ct) =>
            {
                try
                {
                    using var ready = await probe.GetAsync($"http://{LoopbackPort.Host}:{port.ToString(CultureInfo.InvariantCulture)}/-/ready", ct);
                    return ready.IsSuccessStatusCode;
                }
                catch (HttpRequestException)
                {
                    return false; // not listening yet
                }
            });
        return new PrometheusServer(process);
    }

    /// <summary>An instant query through the HTTP API: the <c>data.result</c> vector.</summary>
    public async Task<IReadOnlyList<JsonElement>> QueryAsync(string promql)
    {
        using var response = await _http.GetAsync("/api/v1/query?query=" + Uri.EscapeDataString(promql));
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        if (!response.IsSuccessStatusCode || body.GetProperty("status").GetString() != "success")
            throw new InvalidOperationException($"Prometheus refused '{promql}': HTTP {(int)response.StatusCode} {body}");
        return body.GetProperty("data").GetProperty("result").EnumerateArray().Select(r => r.Clone()).ToList();
    }

    /// <summary>Prometheus' own linter on one scrape (<c>promtool check metrics</c>): its exit code and what it said.</summary>
    public static async Task<(int ExitCode, string Output)> CheckMetricsAsync(string scrape)
    {
        var start = new ProcessStartInfo(Promtool, "check metrics")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        using var promtool = Process.Start(start)!;
        var output = promtool.StandardOutput.ReadToEndAsync();
        var error = promtool.StandardError.ReadToEndAsync();
        await promtool.StandardInput.WriteAsync(scrape);
        promtool.StandardInput.Close();
        await promtool.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
        return (promtool.ExitCode, await output + await error);
    }

    public void Dispose()
    {
        _http.Dispose();
        _process.Dispose();
    }

    private static string Configuration(IReadOnlyDictionary<string, IReadOnlyList<Uri>> jobs)
    {
        var yaml = new StringBuilder("global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\nscrape_configs:\n");
        foreach (var (job, targets) in jobs)
        {
            yaml.Append("  - job_name: ").Append(job).Append('\n')
                .Append("    static_configs:\n      - targets: [")
                .Append(string.Join(", ", targets.Select(t => $"'{t.Authority}'")))
                .Append("]\n");
        }
        return yaml.ToString();
    }
}
