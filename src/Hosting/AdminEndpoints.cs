using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using ThrottleCluster.Grains;
using ThrottleCluster.Grains.Abstractions;

namespace ThrottleCluster.Hosting;

/// <summary>Body of <c>PUT /v1/admin/lists</c>: allow or block a target until a time; mode none lifts a listing.</summary>
/// <param name="Scope">account, cidr (an address or range) or domain.</param>
/// <param name="Target">The account login, address or CIDR range, or domain, as a user would type it.</param>
/// <param name="ExpiresInSeconds">How long the listing holds; listings always expire.</param>
public sealed record ListingRequest(
    string? Scope,
    string? Target,
    [property: JsonConverter(typeof(JsonStringEnumConverter<ListMode>))] ListMode Mode,
    long ExpiresInSeconds = 86_400);

/// <summary>Answer of <c>GET /v1/admin/grains/{kind}</c>: a grain's stored state (see <see cref="GrainInspection"/>).</summary>
public sealed record GrainInspectionResponse(string Grain, bool Exists, int StoredBytes, DateTimeOffset? ExpiresAt, JsonElement State);

public sealed record ListingResponse(IReadOnlyList<string> Grains, ListMode Mode, DateTimeOffset Until);

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
        var admin = endpoints.MapGroup("/v1/admin").AddEndpointFilter<AdminApiKey>();

        admin.MapGet("/grains/{kind}", async (string kind, string? key, IGrainFactory grains, HttpContext http, CancellationToken ct) =>
        {
            if (string.IsNullOrWhiteSpace(key)) return Problems.Invalid("Give the grain's target as ?key=... (a login, address, domain, or 'all' for global).");
            IInspectableGrain grain;
            try
            {
                if (InspectableGrain(grains, kind, key) is not { } found)
                    return new Problems.Problem(StatusCodes.Status404NotFound, "Unknown grain kind", $"Grain kind '{kind}' is not one of account, ip, network, domain, global.");
                grain = found;
            }
            catch (ArgumentException ex)
            {
                return Problems.Invalid(ex.Message);
            }
            try
            {
                var inspection = await grain.Inspect();
                return Results.Ok(new GrainInspectionResponse(inspection.Grain, inspection.Exists, inspection.StoredBytes, inspection.ExpiresAt,
                    JsonDocument.Parse(inspection.State).RootElement));
            }
            catch (Exception ex) when (GrainFailures.Undecided(ex, ct))
            {
                return GrainFailures.Unavailable(http, ex, "The grain's state could not be read");
            }
        });

        admin.MapPut("/lists", async (ListingRequest request, IGrainFactory grains, AuditTrail audit, TimeProvider time, HttpContext http, CancellationToken ct) =>
        {
            if (request.ExpiresInSeconds <= 0 || request.ExpiresInSeconds > MaxListing.TotalSeconds)
                return Problems.Invalid($"expiresInSeconds must be between 1 and {MaxListing.TotalSeconds:0} (was {request.ExpiresInSeconds}).");
            if (string.IsNullOrWhiteSpace(request.Target)) return Problems.Invalid("target is required.");
            var listing = new Listing(request.Mode, time.GetUtcNow().AddSeconds(request.ExpiresInSeconds));
            try
            {
                var grainIds = await ApplyListingAsync(grains, request.Scope, request.Target, listing);
                audit.Record(AuditEntry.Listing(time.GetUtcNow(), request.Scope!.ToLowerInvariant(), ListedKeys(request.Scope, request.Target, audit.Hasher), listing));
                return Results.Ok(new ListingResponse(grainIds, listing.Mode, listing.Until));
            }
            catch (ArgumentException ex)
            {
                return Problems.Invalid(ex.Message);
            }
            catch (Exception ex) when (GrainFailures.Undecided(ex, ct))
            {
                return GrainFailures.Unavailable(http, ex, "The listing could not be stored");
            }
        });

        admin.MapGet("/policy", (ThrottlePolicyStore policies) => Results.Ok(policies.Current));

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
        });

        admin.MapGet("/audit", (string? hours, AuditTrail audit, ILocalSiloDetails silo) =>
        {
            var span = 1;
            if (hours is not null && (!int.TryParse(hours, NumberStyles.None, CultureInfo.InvariantCulture, out span) || span < 1 || span > MaxAuditHours))
                return Problems.Invalid($"hours must be a whole number from 1 to {MaxAuditHours} (was '{hours}').");
            var entries = audit.Since(audit.Now.AddHours(-span));
            return Results.Ok(new AuditResponse(silo.SiloAddress.ToString(), span, audit.Capacity, entries.Count, entries));
        });
        return endpoints;
    }

    private static async Task<IReadOnlyList<string>> ApplyListingAsync(IGrainFactory grains, string? scope, string target, Listing listing)
    {
        switch (scope?.ToLowerInvariant())
        {
            case "account":
                var account = grains.GetGrain<IAccountGrain>(ThrottleKeys.Account(target));
                await account.SetListing(listing);
                return [account.GetGrainId().ToString()];
            case "domain":
                var domain = grains.GetGrain<IDomainGrain>(ThrottleKeys.Domain(target));
                await domain.SetListing(listing);
                return [domain.GetGrainId().ToString()];
            case "cidr":
                var cidr = target.Contains('/') ? target : target + (target.Contains(':') ? "/64" : "/32");
                var sources = ThrottleKeys.ListingTargets(cidr)
                    .Select(t => t.Kind == GrainKinds.Ip ? (ISourceGrain)grains.GetGrain<IIpGrain>(t.Key) : grains.GetGrain<INetworkGrain>(t.Key))
                    .ToList();
                await Task.WhenAll(sources.Select(source => source.SetListing(listing)));
                return sources.Select(source => source.GetGrainId().ToString()).ToList();
            default:
                throw new ArgumentException($"scope must be account, cidr or domain (was '{scope}').");
        }
    }

    /// <summary>The grain of an operator's target, its key normalized as decisions normalize it; null for an unknown kind.</summary>
    private static IInspectableGrain? InspectableGrain(IGrainFactory grains, string kind, string key) => kind switch
    {
        GrainKinds.Account => grains.GetGrain<IAccountGrain>(ThrottleKeys.Account(key)),
        GrainKinds.Ip => grains.GetGrain<IIpGrain>(ThrottleKeys.Ip(key)),
        GrainKinds.Network => grains.GetGrain<INetworkGrain>(ThrottleKeys.Network(key)),
        GrainKinds.Domain => grains.GetGrain<IDomainGrain>(ThrottleKeys.Domain(key)),
        GrainKinds.Global => key == GrainKinds.GlobalKey
            ? grains.GetGrain<IGlobalGrain>(GrainKinds.GlobalKey)
            : throw new ArgumentException($"The global grain's key is '{GrainKinds.GlobalKey}' (was '{key}')."),
        _ => null,
    };

    /// <summary>The audit's view of a listed target; only called once the listing has succeeded, so the target parses.</summary>
    private static AuditKeys ListedKeys(string? scope, string target, AuditKeyHasher hasher) => scope?.ToLowerInvariant() switch
    {
        "account" => new AuditKeys(Account: hasher.Hash(ThrottleKeys.Account(target))),
        "domain" => new AuditKeys(Domain: ThrottleKeys.Domain(target)),
        _ => new AuditKeys(Network: hasher.Hash(target.Trim())),
    };
}
