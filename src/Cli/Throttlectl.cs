using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Parsing;
using ThrottleCluster.Cli.Attack;

namespace ThrottleCluster.Cli;

/// <summary>
/// The <c>throttlectl</c> command line. <see cref="RunAsync"/> is the whole program: the tool's
/// Main calls it with the console, tests with captured writers. Errors are one line on stderr that
/// names the argument or repeats the silo's problem; never a stack trace.
/// </summary>
public static class Throttlectl
{
    public static async Task<int> RunAsync(string[] args, CliIo io, CancellationToken ct = default)
    {
        var root = Root(io);
        var parsed = root.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            foreach (var error in parsed.Errors) await io.Error.WriteLineAsync($"throttlectl: {error.Message}");
            await io.Error.WriteLineAsync($"Run '{CommandPath(parsed)} --help' for usage.");
            return ExitCodes.Usage;
        }
        try
        {
            return await parsed.InvokeAsync(new InvocationConfiguration { Output = io.Out, Error = io.Error, EnableDefaultExceptionHandler = false }, ct);
        }
        catch (UsageException ex)
        {
            await io.Error.WriteLineAsync($"throttlectl: {ex.Message}");
            return ExitCodes.Usage;
        }
        catch (SiloRefusedException ex)
        {
            await io.Error.WriteLineAsync($"throttlectl: the {ex.Host} refused: {ex.Message}");
            return ExitCodes.Refused;
        }
        catch (UnreachableException ex)
        {
            await io.Error.WriteLineAsync($"throttlectl: {ex.Message}");
            return ExitCodes.Unreachable;
        }
    }

    /// <summary>The command the user was typing, as they would type it again: "throttlectl policy set".</summary>
    private static string CommandPath(ParseResult parsed)
    {
        var names = new List<string>();
        for (SymbolResult? result = parsed.CommandResult; result is CommandResult command; result = command.Parent) names.Insert(0, command.Command.Name);
        return string.Join(' ', names);
    }

    // A plain command named throttlectl rather than a RootCommand, which takes its name from the host process (testhost, dotnet).
    private static Command Root(CliIo io)
    {
        var silo = new SiloOptions(io);
        var root = new Command("throttlectl", "Operate a ThrottleCluster through a silo's (or, for the outbox, an Api's) admin API, or flood an Api to test it")
        {
            new HelpOption(),
            new VersionOption(),
            silo.Silo,
            silo.ApiKey,
            GrainCommand.Create(io, silo),
            PolicyCommand.Create(io, silo),
            AuditCommand.Create(io, silo),
            OutboxCommand.Create(io, silo),
            ClusterCommand.Create(io, silo),
            AttackCommand.Create(io),
        };
        foreach (var listing in ListingCommands.Create(io, silo)) root.Subcommands.Add(listing);
        return root;
    }
}
