using ThrottleCluster.Runtime.Hosting;

namespace ThrottleCluster.Silo;

/// <summary>
/// <c>GET /v1/status</c>: the global breaker, the budget and this silo's grants over the last minute
/// (<see cref="SiloStatus"/>), for the Api's dashboard in cluster mode. Read-only and aggregate, but
/// guarded like the grain endpoint: with <c>Cluster:Key</c> set, callers present it in <c>X-Cluster-Key</c>.
/// </summary>
public static class SiloStatusEndpoint
{
    public const string Path = "/v1/status";

    public static IEndpointRouteBuilder MapSiloStatus(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet(Path, (HttpContext http, IGlobalStatus status, IConfiguration configuration) =>
        {
            if (configuration[ClusterMembership.KeyKey] is { Length: > 0 } key
                && !GrainEndpoints.SecretsMatch(http.Request.Headers[GrainEndpoints.ClusterKeyHeader].ToString(), key))
                return Results.Problem($"Send {ClusterMembership.KeyKey} in the {GrainEndpoints.ClusterKeyHeader} header.",
                    statusCode: StatusCodes.Status401Unauthorized, title: "Cluster key required");
            http.Response.Headers.CacheControl = "no-store";
            return status.Current is { } current
                ? Results.Ok(current)
                : Problems.Unavailable("The global breaker has not been read from grain storage yet.");
        });
        return endpoints;
    }
}
