namespace ThrottleCluster.Hosting;

/// <summary>
/// <c>GET /v1/status</c>: the global breaker, the budget and this host's grants over the last minute
/// (<see cref="ServiceStatus"/>). Read-only and aggregate, but throttling state: behind the admin key.
/// </summary>
public static class ServiceStatusEndpoint
{
    public const string Path = "/v1/status";

    public static IEndpointRouteBuilder MapServiceStatus(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet(Path, (HttpContext http, IGlobalStatus status) =>
        {
            http.Response.Headers.CacheControl = "no-store";
            return status.Current is { } current
                ? Results.Ok(current)
                : Problems.Unavailable.With("The global grain has not answered yet.");
        }).RequireAdminApiKey().WithGroupName(ApiDocuments.Admin).Produces<ServiceStatus>()
            .ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        return endpoints;
    }
}
