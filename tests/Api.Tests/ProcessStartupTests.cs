using System.Diagnostics;

namespace ThrottleCluster.Api.Tests;

/// <summary>The built Api program itself, configured by environment variables as an operator would.</summary>
public sealed class ProcessStartupTests
{
    /// <summary>src/Api's own build output (with its appsettings.json and sample accounts), same configuration as this test build.</summary>
    private static string ApiOutputDirectory()
    {
        var testBin = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var framework = testBin.Name;
        var configuration = testBin.Parent!.Name;
        var root = Path.GetFullPath(Path.Combine(Support.SmtpTestServer.ScriptDirectory(), "..", "..", ".."));
        var bin = Path.Combine(root, "src", "Api", "bin", configuration, framework);
        Assert.True(File.Exists(Path.Combine(bin, "appsettings.json")), $"no Api build in {bin}");
        return bin;
    }

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
    public async Task An_invalid_environment_variable_stops_the_program_naming_key_and_value(string variable, string value, string message)
    {
        var bin = ApiOutputDirectory();
        var start = new ProcessStartInfo("dotnet") { WorkingDirectory = bin, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { Path.Combine(bin, "ThrottleCluster.Api.dll"), "--urls", "http://127.0.0.1:0" }) start.ArgumentList.Add(arg);
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        start.Environment[variable] = value;
        using var process = Process.Start(start)!;
        try
        {
            var output = process.StandardOutput.ReadToEndAsync();
            var error = process.StandardError.ReadToEndAsync();
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
            Assert.NotEqual(0, process.ExitCode);
            Assert.Contains(message, await output + await error);
        }
        finally
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
        }
    }
}
