using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using ThrottleCluster.Api.Tests.Support;
using ThrottleCluster.Tests.Support;
using Xunit.Abstractions;

namespace ThrottleCluster.Api.Tests;

/// <summary>The Api program itself, built and published, configured by environment variables as an operator would.</summary>
public sealed class ProcessStartupTests(ITestOutputHelper output)
{
    /// <summary>The Api's own process, from <paramref name="directory"/>, its content root; killed by PID on dispose.</summary>
    private sealed class ApiProcess : IDisposable
    {
        private readonly Process _process;
        private readonly ConcurrentQueue<string> _output = new();

        public ApiProcess(string directory, IReadOnlyDictionary<string, string> environment)
        {
            var start = new ProcessStartInfo(GarnetInstallation.DotnetHost())
            {
                WorkingDirectory = directory,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            start.ArgumentList.Add(Path.Combine(directory, "ThrottleCluster.Api.dll"));
            start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
            // Embedded mode hosts a silo: ports of its own, since tests run in parallel.
            start.Environment["Cluster__SiloPort"] = Text(LoopbackPort.Free());
            start.Environment["Cluster__GatewayPort"] = Text(LoopbackPort.Free());
            foreach (var (variable, value) in environment) start.Environment[variable] = value;
            _process = new Process { StartInfo = start };
            _process.OutputDataReceived += (_, e) => Keep(e.Data);
            _process.ErrorDataReceived += (_, e) => Keep(e.Data);
            _process.Start();
            _process.BeginOutputReadLine();
            _process.BeginErrorReadLine();
        }

        public bool HasExited => _process.HasExited;

        public string Output => string.Join(Environment.NewLine, _output);

        public async Task<int> WaitForExitAsync(TimeSpan timeout)
        {
            await _process.WaitForExitAsync().WaitAsync(timeout);
            _process.WaitForExit(); // the output, drained
            return _process.ExitCode;
        }

        private void Keep(string? line)
        {
            if (line is not null) _output.Enqueue(line);
        }

        public void Dispose()
        {
            try
            {
                if (!_process.HasExited) _process.Kill(entireProcessTree: true);
                _process.WaitForExit(10_000);
            }
            catch (InvalidOperationException)
            {
            }
            _process.Dispose();
        }
    }

    private static string Text(int port) => port.ToString(CultureInfo.InvariantCulture);

    [Theory]
    [InlineData("Email__Smtp__Port", "0", "Email:Smtp:Port must be 1-65535 (was 0)")]
    [InlineData("Tokens__Lifetime", "2.00:00:00", "Tokens:Lifetime must be 00:01:00-1.00:00:00 (was 2.00:00:00)")]
    [InlineData("Network__TrustedProxies", "10.0.0.0/8,not-a-range", "Network:TrustedProxies must be a list of CIDR ranges such as 10.0.0.0/8 (was 'not-a-range'")]
    // A process, not an in-process host: WebApplicationFactory sometimes reports a host that failed to
    // start as a disposed service provider instead of the failure.
    [InlineData("Telemetry__OtlpEndpoint", "collector:4318", "Telemetry:OtlpEndpoint must be an absolute http or https URL such as http://127.0.0.1:4318 (was 'collector:4318')")]
    [InlineData("Telemetry__OtlpEndpoint", "/v1/metrics", "Telemetry:OtlpEndpoint must be an absolute http or https URL such as http://127.0.0.1:4318 (was '/v1/metrics')")]
    [InlineData("Telemetry__OtlpEndpoint", "ftp://127.0.0.1:4318", "(was 'ftp://127.0.0.1:4318')")]
    [InlineData("Telemetry__OtlpEndpoint", "not a url", "(was 'not a url')")]
    [InlineData("Cluster__Provider", "Consul", "Cluster:Provider must be one of Localhost, Redis, AzureStorage (was 'Consul')")]
    [InlineData("Cluster__SiloPort", "70000", "Cluster:SiloPort must be a port from 1 to 65535 (was '70000')")]
    [InlineData("Cluster__ProbeTimeout", "soon", "Cluster:ProbeTimeout must be a duration from 00:00:00.1 to 00:01:00 (was 'soon')")]
    [InlineData("Cluster__ClusterId", "a b", "Cluster:ClusterId must be letters, digits, '-' and '_' (was 'a b')")]
    public async Task An_invalid_environment_variable_stops_the_program_naming_key_and_value(string variable, string value, string message)
    {
        using var api = new ApiProcess(HostBuilds.OutputDirectory("Api"), new Dictionary<string, string>
        {
            ["ASPNETCORE_URLS"] = "http://127.0.0.1:0",
            [variable] = value,
        });
        Assert.NotEqual(0, await api.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        Assert.Contains(message, api.Output);
    }

    [Fact]
    public async Task The_published_Api_starts_in_Production_from_its_publish_folder_and_answers_a_reset()
    {
        var publish = Directory.CreateTempSubdirectory("tc-api-publish-").FullName;
        try
        {
            // What an operator runs: the Api publishes on its own, referencing no other host.
            var (exit, log) = await DotnetAsync(TimeSpan.FromMinutes(10), "publish", Path.Combine(NpmPackages.RepositoryRoot(), "src", "Api"),
                "-o", publish, "--nologo", "--disable-build-servers", "-nodeReuse:false");
            Assert.True(exit == 0, $"dotnet publish src/Api failed ({exit}):{Environment.NewLine}{log}");
            Assert.False(File.Exists(Path.Combine(publish, "ThrottleCluster.Silo.dll")), "the Api's publish output holds the Silo host");

            var port = LoopbackPort.Free();
            // Nothing but the address and ports: accounts, mail and the embedded cluster come from the published appsettings.json.
            using var api = new ApiProcess(publish, new Dictionary<string, string> { ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{Text(port)}" });
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{Text(port)}"), Timeout = TimeSpan.FromSeconds(5) };
            await Eventually.HoldsAsync(async () =>
            {
                if (api.HasExited) throw new InvalidOperationException($"The published Api exited:{Environment.NewLine}{api.Output}");
                try
                {
                    using var health = await http.GetAsync("/healthz");
                    return health.StatusCode == HttpStatusCode.OK;
                }
                catch (HttpRequestException)
                {
                    return false;
                }
            }, "the published Api answers /healthz");

            Assert.Contains("Hosting environment: Production", api.Output);
            using var answer = await http.PostAsJsonAsync("/v1/password-resets", new { login = "alice@example.com" });
            Assert.Equal(HttpStatusCode.Accepted, answer.StatusCode);
            var mail = Path.Combine(publish, "mail");
            await Eventually.HoldsAsync(() => Directory.Exists(mail) && Directory.GetFiles(mail, "*.eml").Length == 1, $"the reset email in {mail}");
            Assert.Equal("alice@example.com", Eml.Read(Directory.GetFiles(mail, "*.eml")[0]).Headers["To"]);
        }
        finally
        {
            Directory.Delete(publish, recursive: true);
        }
    }

    /// <summary>Runs the dotnet CLI to completion (killed by PID if it overruns), with its output.</summary>
    private async Task<(int Exit, string Output)> DotnetAsync(TimeSpan timeout, params string[] arguments)
    {
        var start = new ProcessStartInfo(GarnetInstallation.DotnetHost()) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        try
        {
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            await process.WaitForExitAsync().WaitAsync(timeout);
            var text = await stdout + await stderr;
            output.WriteLine(text);
            return (process.ExitCode, text);
        }
        finally
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
        }
    }
}
