using System.Text.Json.Serialization;
using ThrottleCluster.Grains.Abstractions;
using ThrottleCluster.Runtime;

namespace ThrottleCluster.Silo;

/// <summary>Body of <c>PUT /v1/admin/lists</c>: allow or block a target until a time; mode none lifts a listing.</summary>
/// <param name="Scope">account, cidr (an address or range) or domain.</param>
/// <param name="Target">The account login, address or CIDR range, or domain, as a user would type it.</param>
/// <param name="ExpiresInSeconds">How long the listing holds; listings always expire.</param>
public sealed record ListingRequest(
    string? Scope,
    string? Target,
    [property: JsonConverter(typeof(JsonStringEnumConverter<ListMode>))] ListMode Mode,
    long ExpiresInSeconds = 86_400);

public sealed record ListingResponse(IReadOnlyList<string> Grains, ListMode Mode, DateTimeOffset Until);

/// <summary>Operator endpoints, all behind <see cref="AdminApiKey"/>.</summary>
public static class AdminEndpoints
{
    private static readonly TimeSpan MaxListing = TimeSpan.FromDays(365);

    public static IEndpointRouteBuilder MapAdmin(this IEndpointRouteBuilder endpoints)
    {
        var admin = endpoints.MapGroup("/v1/admin").AddEndpointFilter<AdminApiKey>();

        admin.MapGet("/grains/{kind}", async (string kind, string? key, GrainRuntime runtime, CancellationToken ct) =>
        {
            if (string.IsNullOrWhiteSpace(key)) return Problems.BadRequest("Give the grain's target as ?key=... (a login, address, domain, or 'all' for global).");
            GrainId id;
            try
            {
                id = new GrainId(kind, NormalizedKey(kind, key));
            }
            catch (ArgumentException ex)
            {
                return Problems.BadRequest(ex.Message);
            }
            try
            {
                return Results.Ok(await runtime.InspectAsync(id, ct));
            }
            catch (UnknownGrainKindException ex)
            {
                return Results.Problem(ex.Message, statusCode: StatusCodes.Status404NotFound, title: "Unknown grain kind");
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // Inspection reads storage directly, past the runtime that would wrap the engine's error.
                return Problems.Unavailable($"Grain storage could not be read: {ex.Message}");
            }
        });

        admin.MapPut("/lists", async (ListingRequest request, IGrainClient grains, TimeProvider time, CancellationToken ct) =>
        {
            if (request.ExpiresInSeconds <= 0 || request.ExpiresInSeconds > MaxListing.TotalSeconds)
                return Problems.BadRequest($"expiresInSeconds must be between 1 and {MaxListing.TotalSeconds:0} (was {request.ExpiresInSeconds}).");
            if (string.IsNullOrWhiteSpace(request.Target)) return Problems.BadRequest("target is required.");
            var listing = new Listing(request.Mode, time.GetUtcNow().AddSeconds(request.ExpiresInSeconds));
            try
            {
                var grainIds = await ApplyListingAsync(grains, request.Scope, request.Target, listing, ct);
                return Results.Ok(new ListingResponse(grainIds, listing.Mode, listing.Until));
            }
            catch (ArgumentException ex)
            {
                return Problems.BadRequest(ex.Message);
            }
            catch (GrainCallException ex)
            {
                return Problems.Unavailable(ex.Message);
            }
        });

        admin.MapGet("/policy", (ThrottlePolicyStore policies) => Results.Ok(policies.Current));
        return endpoints;
    }

    private static async Task<IReadOnlyList<string>> ApplyListingAsync(IGrainClient grains, string? scope, string target, Listing listing, CancellationToken ct)
    {
        switch (scope?.ToLowerInvariant())
        {
            case "account":
                var account = new GrainId(GrainKinds.Account, ThrottleKeys.Account(target));
                await grains.CallAsync<AccountCommand, AccountResult>(account, new AccountCommand.SetListing(listing), ct);
                return [account.ToString()];
            case "domain":
                var domain = new GrainId(GrainKinds.Domain, ThrottleKeys.Domain(target));
                await grains.CallAsync<DomainCommand, BudgetResult>(domain, new DomainCommand.SetListing(listing), ct);
                return [domain.ToString()];
            case "cidr":
                var cidr = target.Contains('/') ? target : target + (target.Contains(':') ? "/64" : "/32");
                var sources = ThrottleKeys.ListingTargets(cidr).Select(t => new GrainId(t.Kind, t.Key)).ToList();
                await Task.WhenAll(sources.Select(id => grains.CallAsync<SourceCommand, SourceResult>(id, new SourceCommand.SetListing(listing), ct)));
                return sources.Select(s => s.ToString()).ToList();
            default:
                throw new ArgumentException($"scope must be account, cidr or domain (was '{scope}').");
        }
    }

    private static string NormalizedKey(string kind, string key) => kind switch
    {
        GrainKinds.Account => ThrottleKeys.Account(key),
        GrainKinds.Ip => ThrottleKeys.Ip(key),
        GrainKinds.Network => ThrottleKeys.Network(key),
        GrainKinds.Domain => ThrottleKeys.Domain(key),
        _ => key,
    };
}
