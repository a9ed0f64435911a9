using System.CommandLine;
using System.Text.Json.Nodes;
using ThrottleCluster.Grains.Abstractions;

namespace ThrottleCluster.Cli;

/// <summary>
/// <c>block</c>, <c>allow</c> and <c>unlist</c> for an account, ip, network or domain, through
/// <c>PUT /v1/admin/lists</c>. Listings always expire (<c>--for</c>); unlist lifts either kind at once.
/// </summary>
public static class ListingCommands
{
    private static readonly TimeSpan DefaultFor = TimeSpan.FromDays(1);
    private static readonly string[] Scopes = [GrainKinds.Account, GrainKinds.Ip, GrainKinds.Network, GrainKinds.Domain];

    public static IEnumerable<Command> Create(CliIo io, SiloOptions silo)
    {
        yield return Listing(io, silo, "block", "Block", "Blocked", "Block a target: its resets are suppressed (account, domain) or its requests rejected (ip, network)");
        yield return Listing(io, silo, "allow", "Allow", "Allowed", "Allow a target past the source and domain limits (never past the global budget)");
        yield return Listing(io, silo, "unlist", "None", "Unlisted", "Lift a block or allow on a target");
    }

    private static Command Listing(CliIo io, SiloOptions silo, string name, string mode, string done, string description)
    {
        var scope = Choices.Argument("scope", Scopes);
        var target = new Argument<string>("target") { Description = "login, address, network (address or CIDR range) or domain" };
        var command = new Command(name, description) { scope, target };
        var expiry = new Option<TimeSpan>("--for")
        {
            Description = $"How long the listing holds ({Duration.Forms}; default 1d)",
            DefaultValueFactory = _ => DefaultFor,
            CustomParser = result =>
            {
                var text = result.Tokens[0].Value;
                if (Duration.TryParse(text, out var duration)) return duration;
                result.AddError($"--for: '{text}' is not a duration ({Duration.Forms})");
                return default;
            },
        };
        // Lifting a listing has nothing to expire.
        if (mode != "None") command.Options.Add(expiry);
        command.SetAction(async (parsed, ct) =>
        {
            var (siloScope, siloTarget) = SiloTarget(parsed.GetValue(scope)!, parsed.GetValue(target)!);
            var duration = mode == "None" ? DefaultFor : parsed.GetValue(expiry);
            using var client = silo.Connect(parsed);
            var answer = await client.PutAsync("/v1/admin/lists", new JsonObject
            {
                ["scope"] = siloScope,
                ["target"] = siloTarget,
                ["mode"] = mode,
                ["expiresInSeconds"] = (long)duration.TotalSeconds,
            }, ct);
            var targets = answer["targets"]?.AsArray().Select(JsonRows.Text) ?? [];
            var until = mode == "None" ? "" : $" until {JsonRows.Text(answer["until"])}";
            await io.Out.WriteLineAsync($"{done} {parsed.GetValue(scope)} {parsed.GetValue(target)}{until} ({string.Join(", ", targets)})");
            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>The silo lists addresses and ranges under one scope, cidr; a network given as an address is its /24 or /48.</summary>
    private static (string Scope, string Target) SiloTarget(string scope, string target)
    {
        switch (scope)
        {
            case GrainKinds.Ip:
                if (target.Contains('/')) throw new UsageException($"target: '{target}' is a range; give one address, or list the range with 'network'");
                return ("cidr", target);
            case GrainKinds.Network:
                if (target.Contains('/')) return ("cidr", target);
                try
                {
                    return ("cidr", ThrottleKeys.Network(target));
                }
                catch (ArgumentException ex)
                {
                    throw new UsageException($"target: {ex.Message}");
                }
            default:
                return (scope, target);
        }
    }
}
