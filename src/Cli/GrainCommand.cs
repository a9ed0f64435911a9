using System.CommandLine;
using Spectre.Console;
using ThrottleCluster.Grains.Abstractions;

namespace ThrottleCluster.Cli;

/// <summary><c>grain inspect &lt;kind&gt; &lt;key&gt;</c>: a grain's stored state, read past any cache.</summary>
public static class GrainCommand
{
    private static readonly string[] Kinds = [GrainKinds.Account, GrainKinds.Ip, GrainKinds.Network, GrainKinds.Domain, GrainKinds.Global];

    public static Command Create(CliIo io, SiloOptions silo)
    {
        var kind = Choices.Argument("kind", Kinds);
        var key = new Argument<string>("key") { Description = $"login, address, network, domain, or '{GrainKinds.GlobalKey}' for global; the silo normalizes it" };
        var inspect = new Command("inspect", "Show a grain's stored state") { kind, key };
        inspect.SetAction(async (parsed, ct) =>
        {
            using var client = silo.Connect(parsed);
            var path = $"/v1/admin/grains/{Uri.EscapeDataString(parsed.GetValue(kind)!)}?key={Uri.EscapeDataString(parsed.GetValue(key)!)}";
            var snapshot = await client.GetAsync(path, ct);
            var table = new Table().AddColumn("Field").AddColumn("Value");
            foreach (var (field, value) in JsonRows.Flatten(snapshot)) table.AddRow(Markup.Escape(field), Markup.Escape(value));
            io.OutConsole().Write(table);
            return ExitCodes.Ok;
        });
        return new Command("grain", "Grains (account, ip, network, domain, global)") { inspect };
    }
}
