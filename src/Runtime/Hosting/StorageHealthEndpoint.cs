using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using ThrottleCluster.Runtime.Storage;

namespace ThrottleCluster.Runtime.Hosting;

/// <summary><c>GET /healthz</c>: 200 when grain storage answers a read in time, 503 saying why when not.</summary>
public static class StorageHealthEndpoint
{
    private static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(2);

    public static IEndpointConventionBuilder MapStorageHealth(this IEndpointRouteBuilder endpoints, string path = "/healthz")
        => endpoints.MapGet(path, async (IGrainStorage storage, CancellationToken cancellationToken) =>
        {
            var engine = storage.GetType().Name;
            try
            {
                await storage.ReadAsync("health/probe", cancellationToken).AsTask().WaitAsync(ProbeTimeout, cancellationToken);
                return Results.Json(new { status = "ok", storage = engine });
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                var reason = ex is TimeoutException ? $"grain storage did not answer within {ProbeTimeout.TotalSeconds:0} s" : $"grain storage failed: {ex.Message}";
                return Results.Json(new { status = "unavailable", storage = engine, reason }, statusCode: StatusCodes.Status503ServiceUnavailable);
            }
        });
}
