using System.CommandLine;
using System.Text.Json.Nodes;

namespace ThrottleCluster.Cli;

/// <summary>
/// <c>audit tail</c>: one silo's audit trail, oldest first, one line per entry; <c>--follow</c> polls
/// for new entries until interrupted. Keys are the silo's hashes: the CLI never sees raw targets.
/// </summary>
public static class AuditCommand
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromSeconds(1);

    public static Command Create(CliIo io, SiloOptions silo)
    {
        var hours = WholeNumberOption.Create("--hours", "How far back, 1 to 24 hours (default 1)", 1, 24, 1);
        var follow = new Option<bool>("--follow", "-f") { Description = "Keep printing new entries until Ctrl+C" };
        var tail = new Command("tail", "Print the silo's audit entries") { hours, follow };
        tail.SetAction(async (parsed, ct) =>
        {
            using var client = silo.Connect(parsed);
            var first = await client.GetAsync($"/v1/admin/audit?hours={parsed.GetValue(hours)}", ct);
            await io.Out.WriteLineAsync($"# silo {JsonRows.Text(first["silo"])}: {JsonRows.Text(first["count"])} entries in the last {JsonRows.Text(first["hours"])} h (it keeps at most {JsonRows.Text(first["capacity"])})");
            var seen = await PrintNewAsync(io.Out, first, []);
            if (!parsed.GetValue(follow)) return ExitCodes.Ok;
            try
            {
                while (true)
                {
                    await Task.Delay(PollInterval, ct);
                    seen = await PrintNewAsync(io.Out, await client.GetAsync("/v1/admin/audit?hours=1", ct), seen);
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return ExitCodes.Ok;
            }
        });
        return new Command("audit", "The audit trail: throttled decisions, listings and policy changes, keys hashed") { tail };
    }

    /// <summary>Prints the entries of <paramref name="answer"/> not in <paramref name="seen"/>, oldest first.</summary>
    /// <returns>The entries of this answer, to compare the next one with.</returns>
    private static async Task<HashSet<string>> PrintNewAsync(TextWriter output, JsonNode answer, HashSet<string> seen)
    {
        var entries = answer["entries"]?.AsArray().Where(e => e is not null).Select(e => e!).ToList() ?? [];
        var current = entries.Select(e => e.ToJsonString()).ToHashSet();
        // The silo answers newest first; a tail reads downwards in time.
        foreach (var entry in Enumerable.Reverse(entries).Where(e => !seen.Contains(e.ToJsonString())))
            await output.WriteLineAsync(Line(entry));
        await output.FlushAsync();
        return current;
    }

    /// <summary><c>2026-11-22T00:15:02.1234567+00:00 Decision verdict=Suppress denied.account=Cooldown keys.account=3fa2...</c></summary>
    private static string Line(JsonNode entry)
    {
        // A key the event has no value for (a listing names one target) says nothing.
        var fields = JsonRows.Flatten(entry).Where(f => f.Path is not ("time" or "event") && f.Value != "null").Select(f => $"{f.Path}={f.Value}");
        return string.Join(' ', new[] { JsonRows.Text(entry["time"]), JsonRows.Text(entry["event"]) }.Concat(fields));
    }
}
