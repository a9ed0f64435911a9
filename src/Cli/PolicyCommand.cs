using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using Spectre.Console;

namespace ThrottleCluster.Cli;

/// <summary><c>policy show</c> and <c>policy set</c>: the live policy every silo decides with.</summary>
public static class PolicyCommand
{
    private const string PolicyPath = "/v1/admin/policy";

    public static Command Create(CliIo io, SiloOptions silo) => new("policy", "The live throttling policy (docs/LIVE-POLICY-AND-AUDIT.md)")
    {
        Show(io, silo),
        Set(io, silo),
    };

    private static Command Show(CliIo io, SiloOptions silo)
    {
        var json = new Option<bool>("--json") { Description = "Print the policy document, as policy set --file takes it" };
        var show = new Command("show", "Show the policy this silo decides with") { json };
        show.SetAction(async (parsed, ct) =>
        {
            using var client = silo.Connect(parsed);
            var policy = await client.GetAsync(PolicyPath, ct);
            if (parsed.GetValue(json))
            {
                await io.Out.WriteLineAsync(policy.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
                return ExitCodes.Ok;
            }
            var table = new Table().AddColumn("Setting").AddColumn("Value");
            foreach (var (path, value) in JsonRows.Flatten(policy)) table.AddRow(Markup.Escape(path), Markup.Escape(value));
            io.OutConsole().Write(table);
            return ExitCodes.Ok;
        });
        return show;
    }

    private static Command Set(CliIo io, SiloOptions silo)
    {
        var file = new Option<FileInfo?>("--file") { Description = "A whole policy document (policy show --json); settings given too are applied over it" };
        var settings = new Argument<string[]>("settings") { Description = "path=value, e.g. account.perHour=3 ip.burst=20 account.cooldown=2m", Arity = ArgumentArity.ZeroOrMore };
        var set = new Command("set", "Validate a policy on the silo and put it in force on every silo") { settings, file };
        set.SetAction(async (parsed, ct) =>
        {
            var assignments = (parsed.GetValue(settings) ?? []).Select(PolicyAssignment.Parse).ToList();
            var source = parsed.GetValue(file);
            if (source is null && assignments.Count == 0) throw new UsageException("policy set: give --file policy.json, settings as path=value, or both");
            var fromFile = source is null ? null : ReadPolicy(source);
            using var client = silo.Connect(parsed);
            var before = (JsonObject)await client.GetAsync(PolicyPath, ct);
            var policy = fromFile ?? (JsonObject)before.DeepClone();
            foreach (var assignment in assignments) assignment.ApplyTo(policy);
            var answer = await client.PutAsync(PolicyPath, policy, ct);

            await io.Out.WriteLineAsync($"Policy version {JsonRows.Text(answer["version"])} is in force on {client.Address} (other silos within Throttle:PolicyRefresh).");
            var old = JsonRows.Flatten(before).ToDictionary(row => row.Path, row => row.Value);
            var changes = JsonRows.Flatten(answer["policy"]).Where(row => !old.TryGetValue(row.Path, out var was) || was != row.Value).ToList();
            if (changes.Count == 0)
            {
                await io.Out.WriteLineAsync("No setting changed.");
                return ExitCodes.Ok;
            }
            var table = new Table().AddColumn("Setting").AddColumn("Was").AddColumn("Now");
            foreach (var (path, value) in changes) table.AddRow(Markup.Escape(path), Markup.Escape(old.GetValueOrDefault(path, "")), Markup.Escape(value));
            io.OutConsole().Write(table);
            return ExitCodes.Ok;
        });
        return set;
    }

    private static JsonObject ReadPolicy(FileInfo file)
    {
        try
        {
            return JsonNode.Parse(File.ReadAllText(file.FullName)) as JsonObject
                   ?? throw new UsageException($"--file: '{file}' does not hold a JSON object (policy show --json prints one)");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"--file: '{file}' cannot be read: {ex.Message}");
        }
        catch (JsonException ex)
        {
            throw new UsageException($"--file: '{file}' is not JSON: {ex.Message}");
        }
    }
}
