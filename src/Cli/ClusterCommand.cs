using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Spectre.Console;

namespace ThrottleCluster.Cli;

/// <summary><c>cluster</c>: the silos the cluster's membership knows and their status, as the silo asked reads them.</summary>
public static class ClusterCommand
{
    public const string ClusterPath = "/v1/admin/cluster";

    public static Command Create(CliIo io, SiloOptions silo)
    {
        var json = new Option<bool>("--json") { Description = "Print the silo's answer as JSON" };
        var command = new Command("cluster", "Show the cluster's silos and their status (Active, Joining, ShuttingDown, Dead)") { json };
        command.SetAction(async (parsed, ct) =>
        {
            using var client = silo.Connect(parsed);
            var cluster = await client.GetAsync(ClusterPath, ct);
            if (parsed.GetValue(json))
            {
                await io.Out.WriteLineAsync(cluster.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
                return ExitCodes.Ok;
            }
            var silos = cluster["silos"]!.AsArray();
            var table = new Table().AddColumn("Silo").AddColumn("Name").AddColumn("Host").AddColumn("Status").AddColumn("Started (UTC)").AddColumn("Last alive (UTC)");
            foreach (var entry in silos.OfType<JsonObject>())
            {
                table.AddRow(Markup.Escape(JsonRows.Text(entry["address"])), Markup.Escape(JsonRows.Text(entry["name"])), Markup.Escape(JsonRows.Text(entry["hostName"])),
                    Markup.Escape(JsonRows.Text(entry["status"])), Time(entry["startedAt"]), Time(entry["lastAliveAt"]));
            }
            var console = io.OutConsole();
            console.Write(table);
            console.WriteLine($"{cluster["active"]!.GetValue<int>().ToString(CultureInfo.InvariantCulture)} of {silos.Count.ToString(CultureInfo.InvariantCulture)} silos active");
            return ExitCodes.Ok;
        });
        return command;
    }

    private static string Time(JsonNode? node)
        => DateTime.TryParse(JsonRows.Text(node), CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var time)
            ? time.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)
            : Markup.Escape(JsonRows.Text(node));
}
