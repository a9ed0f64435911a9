using ThrottleCluster.Cli;

namespace ThrottleCluster.Cli.Tests.Support;

/// <summary>What one run of the CLI printed and returned.</summary>
public sealed record CliResult(int ExitCode, string Out, string Error)
{
    public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Out}--- stderr\n{Error}";
}

/// <summary>Runs <c>throttlectl</c> in process through its entry point, with captured output and a fixed environment.</summary>
public static class CliRun
{
    public static Task<CliResult> RunAsync(params string[] args) => RunAsync(new Dictionary<string, string>(), args);

    public static async Task<CliResult> RunAsync(IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var code = await Throttlectl.RunAsync(args, new CliIo(output, error, name => environment.GetValueOrDefault(name)));
        return new CliResult(code, output.ToString(), error.ToString());
    }

    /// <summary>Asserts a run succeeded and returns what it printed.</summary>
    public static async Task<string> OkAsync(params string[] args)
    {
        var result = await RunAsync(args);
        Assert.True(result.ExitCode == ExitCodes.Ok, result.ToString());
        Assert.Equal("", result.Error);
        return result.Out;
    }
}
