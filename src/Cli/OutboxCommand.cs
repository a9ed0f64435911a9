using System.CommandLine;
using System.Text.Json.Nodes;

namespace ThrottleCluster.Cli;

/// <summary>
/// <c>outbox status</c>, <c>outbox dead list|replay|purge</c>: the reset-email outbox through an
/// Api's admin endpoints (the outbox is the Api's, in the cluster's store, shared by every Api).
/// </summary>
public static class OutboxCommand
{
    public const string ApiVariable = "THROTTLECTL_API";
    public const string DefaultApi = "http://127.0.0.1:5000";

    public static Command Create(CliIo io, SiloOptions silo)
    {
        var api = new Option<string?>("--api") { Description = $"The Api's base URL [env {ApiVariable}, default {DefaultApi}]", Recursive = true };

        var status = new Command("status", "Pending, processing, delayed and dead jobs, and this Api's counters");
        status.SetAction(async (parsed, ct) =>
        {
            using var client = Connect(parsed, io, api, silo);
            var answer = await client.GetAsync("/v1/admin/outbox", ct);
            var counts = answer["counts"]!;
            await io.Out.WriteLineAsync($"# outbox in {JsonRows.Text(answer["store"])}, via {client.Address}");
            foreach (var name in new[] { "pending", "processing", "delayed", "dead", "deadDropped" })
                await io.Out.WriteLineAsync($"{name,-12} {JsonRows.Text(counts[name])}");
            foreach (var (path, value) in JsonRows.Flatten(answer["process"], "process"))
                await io.Out.WriteLineAsync($"{path,-24} {value}");
            return ExitCodes.Ok;
        });

        var max = WholeNumberOption.Create("--max", "How many, newest first, 1 to 1000 (default 100)", 1, 1000, 100);
        var list = new Command("list", "The dead letters: job id, attempts, when requested, the recipient and the last error") { max };
        list.SetAction(async (parsed, ct) =>
        {
            using var client = Connect(parsed, io, api, silo);
            var answer = await client.GetAsync($"/v1/admin/outbox/dead?max={parsed.GetValue(max)}", ct);
            var letters = answer["deadLetters"]!.AsArray();
            await io.Out.WriteLineAsync($"# {JsonRows.Text(answer["dead"])} dead letter(s), {letters.Count} shown, newest first");
            foreach (var letter in letters)
                await io.Out.WriteLineAsync($"{JsonRows.Text(letter!["id"])} attempts={JsonRows.Text(letter["attempts"])} requestedAt={JsonRows.Text(letter["requestedAt"])} email={JsonRows.Text(letter["email"])} lastError={JsonRows.Text(letter["lastError"])}");
            return ExitCodes.Ok;
        });

        var dead = new Command("dead", "Jobs out of attempts") { list, Change("replay", "Queue dead letters again, their attempts reset", "replayed", io, api, silo), Change("purge", "Delete dead letters", "purged", io, api, silo) };
        return new Command("outbox", "The reset-email outbox, through an Api") { api, status, dead };
    }

    private static Command Change(string verb, string description, string done, CliIo io, Option<string?> api, SiloOptions silo)
    {
        var ids = new Argument<string[]>("job-id") { Description = "Job ids from 'outbox dead list'", Arity = ArgumentArity.ZeroOrMore };
        var all = new Option<bool>("--all") { Description = "Every dead letter" };
        var command = new Command(verb, description) { ids, all };
        command.SetAction(async (parsed, ct) =>
        {
            var given = parsed.GetValue(ids) ?? [];
            var everything = parsed.GetValue(all);
            if (given.Length > 0 == everything) throw new UsageException($"outbox dead {verb}: give job ids or --all{(everything ? ", not both" : "")}");
            using var client = Connect(parsed, io, api, silo);
            JsonNode body = everything ? new JsonObject { ["all"] = true } : new JsonObject { ["ids"] = new JsonArray(given.Select(id => (JsonNode)JsonValue.Create(id)).ToArray()) };
            var answer = await client.PostAsync($"/v1/admin/outbox/dead/{verb}", body, ct);
            await io.Out.WriteLineAsync($"{done} {JsonRows.Text(answer["count"])}");
            return ExitCodes.Ok;
        });
        return command;
    }

    private static SiloClient Connect(ParseResult parsed, CliIo io, Option<string?> api, SiloOptions silo)
    {
        var (address, source) = parsed.GetValue(api) is { } given
            ? (given, "--api")
            : io.Environment(ApiVariable) is { Length: > 0 } fromEnvironment ? (fromEnvironment, $"--api (from {ApiVariable})") : (DefaultApi, "--api");
        if (!Uri.TryCreate(address, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            throw new UsageException($"{source}: '{address}' is not an http(s) URL (e.g. {DefaultApi})");
        return new SiloClient(uri, silo.ApiKeyOf(parsed), "Api", $"--api or {ApiVariable}");
    }
}
