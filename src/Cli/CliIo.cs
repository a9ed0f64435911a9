using Spectre.Console;

namespace ThrottleCluster.Cli;

/// <summary>
/// Where a run of the CLI writes and reads its settings: the real console and environment for the
/// tool, captured writers and a fixed environment when a test runs it in process.
/// </summary>
/// <param name="OutIsTerminal">Whether <paramref name="Out"/> is a terminal a person reads; tables and colours adapt to it.</param>
/// <param name="ErrorIsTerminal">Whether <paramref name="Error"/> is: a progress bar is drawn there even when results go to a file.</param>
public sealed record CliIo(TextWriter Out, TextWriter Error, Func<string, string?> Environment, bool OutIsTerminal = false, bool ErrorIsTerminal = false)
{
    // Redirected output is read by scripts and tests: a wide fixed width keeps a table row on one line.
    private const int RedirectedWidth = 240;

    public static CliIo FromConsole() => new(Console.Out, Console.Error, System.Environment.GetEnvironmentVariable, !Console.IsOutputRedirected, !Console.IsErrorRedirected);

    /// <summary>A Spectre console over <see cref="Out"/>.</summary>
    public IAnsiConsole OutConsole() => ConsoleOver(Out, OutIsTerminal);

    /// <summary>A Spectre console over <see cref="Error"/>, for progress that must not mix with results on stdout.</summary>
    public IAnsiConsole ErrorConsole() => ConsoleOver(Error, ErrorIsTerminal);

    /// <summary>
    /// Runs <paramref name="work"/> with a progress bar on <see cref="Error"/> (description, bar,
    /// percentage, elapsed, remaining). Not drawn when Error is not a terminal: then <paramref name="work"/>
    /// is told so (false) and should log its progress now and then instead.
    /// </summary>
    public Task WithProgressAsync(Func<ProgressContext, bool, Task> work)
    {
        var console = ErrorConsole();
        return console.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
            .StartAsync(ctx => work(ctx, console.Profile.Capabilities.Interactive));
    }

    private static IAnsiConsole ConsoleOver(TextWriter writer, bool terminal)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(writer),
            Ansi = terminal ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = terminal ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
            Interactive = terminal ? InteractionSupport.Detect : InteractionSupport.No,
        });
        if (!terminal) console.Profile.Width = RedirectedWidth;
        return console;
    }
}
