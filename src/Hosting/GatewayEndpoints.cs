using System.Globalization;
using ThrottleCluster.Grains;
using ThrottleCluster.Grains.Abstractions;

namespace ThrottleCluster.Hosting;

/// <summary>
/// <c>GET /v1/gateway/check</c> for nginx <c>auth_request</c>: 204 while the client's IP and network
/// are within their limits, 429 with Retry-After once they are not, and when no decision can be made
/// 503 or 204 as <see cref="GatewayEngineFailure"/> says. The client is the connection's
/// peer unless that peer is a trusted proxy (<see cref="ClientAddressResolver"/>).
/// </summary>
public static class GatewayEndpoints
{
    public static IEndpointRouteBuilder MapGatewayCheck(this IEndpointRouteBuilder endpoints)
    {
        // Read once, at start-up: an invalid value stops the host here.
        var onEngineFailure = new GatewayEngineFailure(
            GatewayEngineFailure.ModeFrom(endpoints.ServiceProvider.GetRequiredService<IConfiguration>()),
            endpoints.ServiceProvider.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(GatewayEngineFailure)));
        endpoints.MapGet("/v1/gateway/check", async (HttpContext http, ClientAddressResolver clients, ResetGate gate, DecisionMetrics metrics, AuditTrail audit, TimeProvider time, CancellationToken ct) =>
        {
            var client = clients.Resolve(http);
            var started = time.GetTimestamp();
            var now = time.GetUtcNow();
            ResetDecision decision;
            try
            {
                decision = await gate.CheckSourceAsync(Guid.NewGuid().ToString("N"), client.ToString(), ct);
            }
            catch (ArgumentException ex)
            {
                return Problems.Invalid(ex.Message); // an address the throttle keys refuse
            }
            catch (Exception ex) when (GrainFailures.Undecided(ex, ct))
            {
                return onEngineFailure.LetThrough(ex) ? Results.NoContent() : Problems.Unavailable.With("The source check could not be made: the cluster or its store did not answer in time.");
            }
            metrics.Record(decision, time.GetElapsedTime(started));
            if (AuditEntry.IsAudited(decision)) audit.Record(AuditEntry.SourceCheck(now, decision, client.ToString(), audit.Keys));
            if (decision.Verdict != Verdict.RejectSource) return Results.NoContent();
            http.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(decision.RetryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
            return Results.StatusCode(StatusCodes.Status429TooManyRequests);
        }).WithGroupName(ApiDocuments.Decisions).Produces(StatusCodes.Status204NoContent).Produces(StatusCodes.Status429TooManyRequests)
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        return endpoints;
    }
}
