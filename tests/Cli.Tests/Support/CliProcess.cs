using System.Diagnostics;

namespace ThrottleCluster.Cli.Tests.Support;

/// <summary>Runs the built <c>throttlectl</c> (ThrottleCluster.Cli.dll beside the tests) as a process of its own.</summary>
public static class CliProcess
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(60);

    public static async Task<CliResult> RunAsync(IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "ThrottleCluster.Cli.dll"));
        foreach (var arg in args) start.ArgumentList.Add(arg);
        // Only what the test gives: a developer's own settings must not reach the process.
        start.Environment.Remove("THROTTLECTL_SILO");
        start.Environment.Remove("THROTTLECTL_API_KEY");
        foreach (var (name, value) in environment) start.Environment[name] = value;

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var limit = new CancellationTokenSource(Limit);
        try
        {
            await process.WaitForExitAsync(limit.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill();
            throw new TimeoutException($"throttlectl {string.Join(' ', args)} still ran after {Limit}; killed pid {process.Id}");
        }
        return new CliResult(process.ExitCode, await output, await error);
    }
}
