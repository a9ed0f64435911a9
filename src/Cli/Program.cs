namespace ThrottleCluster.Cli;

// Not top-level statements: the ASP.NET Core framework the timed attack scenarios bring in (through
// ThrottleCluster.Testing) would make such a Program public, and the tests host the Silo's Program.
internal static class Program
{
    public static Task<int> Main(string[] args) => Throttlectl.RunAsync(args, CliIo.FromConsole());
}
