using System.Globalization;
using System.Text.Json;
using ThrottleCluster.Grains;
using ThrottleCluster.Grains.Abstractions;

namespace ThrottleCluster.Hosting;

/// <summary>Body of <c>PUT /v1/admin/lists</c>: allow or block a target until a time; mode none lifts a listing.</summary>
/// <param name="Scope">account, cidr (an address or range) or domain.</param>
/// <param name="Target">The account login, address or CIDR range, or domain, as a user would type it.</param>
/// <param name="Mode">Allow, Block, or None to lift a listing: required, so that a request that forgot it lifts nothing.</param>
/// <param name="ExpiresInSeconds">How long the listing holds; listings always expire.</param>
public sealed record ListingRequest(
    string? Scope,
    string? Target,
    ListMode? Mode,
    long ExpiresInSeconds = 86_400);

/// <summary>Answer of <c>GET /v1/admin/grains/{kind}</c>: a grain's stored state (see <see cref="GrainInspection"/>).</summary>
/// <param name="Target">What was asked for, <c>kind/key</c> with the key normalized.</param>
/// <param name="Grain">Its grain's id: for accounts, addresses and networks a keyed hash of the target (<see cref="GrainKeys"/>).</param>
public sealed record GrainInspectionResponse(string Target, string Grain, bool Exists, int StoredBytes, DateTimeOffset? ExpiresAt, JsonElement State);

/// <param name="Targets">The targets listed, <c>kind/key</c> with keys normalized: a range is listed on each ip or network grain it covers.</param>
public sealed record ListingResponse(IReadOnlyList<string> Targets, ListMode Mode, DateTimeOffset Until);

/// <summary>Answer of <c>PUT /v1/admin/policy</c>: the policy now in force and its stored version.</summary>
public sealed record PolicyResponse(long Version, ThrottlePolicy Policy);

/// <summary>Answer of <c>GET /v1/admin/audit</c>: one silo's entries, newest first.</summary>
/// <param name="Silo">The silo that answered: each keeps its own trail.</param>
/// <param name="Capacity">Entries the silo keeps at most; older ones are gone even within the hours asked for.</param>
public sealed record AuditResponse(string Silo, int Hours, int Capacity, int Count, IReadOnlyList<AuditEntry> Entries);

/// <summary>Operator endpoints, all behind <see cref="AdminApiKey"/>.</summary>
public static class AdminEndpoints
{
    private static readonly TimeSpan MaxListing = TimeSpan.FromDays(365);
    private const int MaxAuditHours = 24;

    public static IEndpointRouteBuilder MapAdmin(this IEndpointRouteBuilder endpoints)
    {
        // Every admin endpoint: in the admin document, and 401/403 without the admin key (AdminApiKey).
        var admin = endpoints.MapGroup("/v1/admin").RequireAdminApiKey().WithGroupName(ApiDocuments.Admin)
            .ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status403Forbidden);
        admin.MapCluster();

        admin.MapGet("/grains/{kind}", async (string kind, string? key, IGrainFactory grains, GrainKeys keys, HttpContext http, CancellationToken ct) =>
        {
            if (string.IsNullOrWhiteSpace(key)) return Problems.Invalid("Give the grain's target as ?key=... (a login, address, domain, or 'all' for global).");
            (string Target, IInspectableGrain Grain) found;
            try
            {
                if (InspectableGrain(grains, keys, kind, key) is not { } grain)
                    return new Problems.Problem(StatusCodes.Status404NotFound, "Unknown grain kind", $"Grain kind '{kind}' is not one of account, ip, network, domain, global.");
                found = grain;
            }
            catch (ArgumentException ex)
            {
                return Problems.Invalid(ex.Message);
            }
            try
            {
                var inspection = await found.Grain.Inspect();
                return Results.Ok(new GrainInspectionResponse(found.Target, inspection.Grain, inspection.Exists, inspection.StoredBytes, inspection.ExpiresAt,
                    JsonDocument.Parse(inspection.State).RootElement));
            }
            catch (Exception ex) when (GrainFailures.Undecided(ex, ct))
            {
                return GrainFailures.Unavailable(http, ex, "The grain's state could not be read");
            }
        }).Produces<GrainInspectionResponse>().ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status503ServiceUnavailable);

        admin.MapPut("/lists", async (ListingRequest request, IGrainFactory grains, GrainKeys keys, AuditTrail audit, TimeProvider time, HttpContext http, CancellationToken ct) =>
        {
            if (request.ExpiresInSeconds <= 0 || request.ExpiresInSeconds > MaxListing.TotalSeconds)
                return Problems.Invalid($"expiresInSeconds must be between 1 and {MaxListing.TotalSeconds:0} (was {request.ExpiresInSeconds}).");
            if (string.IsNullOrWhiteSpace(request.Target)) return Problems.Invalid("target is required.");
            if (request.Mode is not { } mode) return Problems.Invalid("mode is required: Allow, Block or None.");
            var listing = new Listing(mode, time.GetUtcNow().AddSeconds(request.ExpiresInSeconds));
            try
            {
                var targets = await ApplyListingAsync(grains, keys, request.Scope, request.Target, listing);
                audit.Record(AuditEntry.Listing(time.GetUtcNow(), request.Scope!.ToLowerInvariant(), ListedKeys(request.Scope, request.Target, audit.Keys), listing));
                return Results.Ok(new ListingResponse(targets, listing.Mode, listing.Until));
            }
            catch (ArgumentException ex)
            {
                return Problems.Invalid(ex.Message);
            }
            catch (Exception ex) when (GrainFailures.Undecided(ex, ct))
            {
                return GrainFailures.Unavailable(http, ex, "The listing could not be stored");
            }
        }).Produces<ListingResponse>().ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status503ServiceUnavailable);

        admin.MapGet("/policy", (ThrottlePolicyStore policies) => Results.Ok(policies.Current)).Produces<ThrottlePolicy>();

        admin.MapPut("/policy", async (HttpRequest http, LivePolicy live, CancellationToken ct) =>
        {
            ThrottlePolicy policy;
            try
            {
                policy = await JsonSerializer.DeserializeAsync<ThrottlePolicy>(http.Body, ProductJson.Options, ct)
                         ?? throw new JsonException("The body is null; send the whole policy, as GET /v1/admin/policy shows it.");
                policy.Validate(ThrottlePolicyStore.Section);
            }
            catch (JsonException ex)
            {
                return Problems.Invalid($"The body is not a policy: {ex.Message}");
            }
            catch (ArgumentException ex)
            {
                return Problems.Invalid(ex.Message);
            }
            try
            {
                return Results.Ok(new PolicyResponse(await live.ReplaceAsync(policy), policy));
            }
            catch (Exception ex) when (GrainFailures.Undecided(ex, ct))
            {
                return GrainFailures.Unavailable(http.HttpContext, ex, "The policy could not be stored, so no silo applies it");
            }
        }).WithJsonBody<ThrottlePolicy>().Produces<PolicyResponse>().ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status503ServiceUnavailable);

        admin.MapGet("/audit", (string? hours, AuditTrail audit, ILocalSiloDetails silo) =>
        {
            var span = 1;
            if (hours is not null && (!int.TryParse(hours, NumberStyles.None, CultureInfo.InvariantCulture, out span) || span < 1 || span > MaxAuditHours))
                return Problems.Invalid($"hours must be a whole number from 1 to {MaxAuditHours} (was '{hours}').");
            var entries = audit.Since(audit.Now.AddHours(-span));
            return Results.Ok(new AuditResponse(silo.SiloAddress.ToString(), span, audit.Capacity, entries.Count, entries));
        }).Produces<AuditResponse>().ProducesProblem(StatusCodes.Status400BadRequest);
        return endpoints;
    }

    /// <returns>The targets listed, as <c>kind/key</c> with the key normalized (the grains' ids are keyed hashes of them).</returns>
    private static async Task<IReadOnlyList<string>> ApplyListingAsync(IGrainFactory grains, GrainKeys keys, string? scope, string target, Listing listing)
    {
        switch (scope?.ToLowerInvariant())
        {
            case "account":
                await grains.GetGrain<IAccountGrain>(keys.Account(target)).SetListing(listing);
                return [$"{GrainKinds.Account}/{ThrottleKeys.Account(target)}"];
            case "domain":
                await grains.GetGrain<IDomainGrain>(keys.Domain(target)).SetListing(listing);
                return [$"{GrainKinds.Domain}/{ThrottleKeys.Domain(target)}"];
            case "cidr":
                var cidr = target.Contains('/') ? target : target + (target.Contains(':') ? "/64" : "/32");
                var sources = ThrottleKeys.ListingTargets(cidr);
                await Task.WhenAll(sources.Select(t => (t.Kind == GrainKinds.Ip
                    ? (ISourceGrain)grains.GetGrain<IIpGrain>(keys.Of(t.Key))
                    : grains.GetGrain<INetworkGrain>(keys.Of(t.Key))).SetListing(listing)));
                return sources.Select(t => $"{t.Kind}/{t.Key}").ToList();
            default:
                throw new ArgumentException($"scope must be account, cidr or domain (was '{scope}').");
        }
    }

    /// <summary>An operator's target as <c>kind/key</c> (normalized as decisions normalize it) and its grain; null for an unknown kind.</summary>
    private static (string Target, IInspectableGrain Grain)? InspectableGrain(IGrainFactory grains, GrainKeys keys, string kind, string key)
    {
        switch (kind)
        {
            case GrainKinds.Account:
                var account = ThrottleKeys.Account(key);
                return ($"{kind}/{account}", grains.GetGrain<IAccountGrain>(keys.Of(account)));
            case GrainKinds.Ip:
                var ip = ThrottleKeys.Ip(key);
                return ($"{kind}/{ip}", grains.GetGrain<IIpGrain>(keys.Of(ip)));
            case GrainKinds.Network:
                var network = ThrottleKeys.Network(key);
                return ($"{kind}/{network}", grains.GetGrain<INetworkGrain>(keys.Of(network)));
            case GrainKinds.Domain:
                var domain = keys.Domain(key);
                return ($"{kind}/{domain}", grains.GetGrain<IDomainGrain>(domain));
            case GrainKinds.Global:
                if (key != GrainKinds.GlobalKey) throw new ArgumentException($"The global grain's key is '{GrainKinds.GlobalKey}' (was '{key}').");
                return ($"{kind}/{key}", grains.GetGrain<IGlobalGrain>(key));
            default:
                return null;
        }
    }

    /// <summary>The audit's view of a listed target; only called once the listing has succeeded, so the target parses.</summary>
    private static AuditKeys ListedKeys(string? scope, string target, GrainKeys keys) => scope?.ToLowerInvariant() switch
    {
        "account" => new AuditKeys(Account: keys.Account(target)),
        "domain" => new AuditKeys(Domain: keys.Domain(target)),
        _ => new AuditKeys(Network: keys.Of(target.Trim())),
    };
}
