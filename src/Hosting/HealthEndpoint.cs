namespace ThrottleCluster.Hosting;

/// <summary>One thing a host needs to decide (grain storage, the cluster, the outbox's engine), checked for <c>/healthz</c>.</summary>
public interface IHealthProbe
{
    /// <summary>What is checked, as <c>/healthz</c> names it.</summary>
    string Name { get; }

    /// <exception cref="Exception">It cannot be used now; the message says why.</exception>
    Task CheckAsync(CancellationToken ct);
}

/// <summary><c>GET /healthz</c>: 200 when every probe answers in time, 503 naming the one that did not and why.</summary>
public static class HealthEndpoint
{
    private static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(2);

    public static IEndpointConventionBuilder MapHealth(this IEndpointRouteBuilder endpoints, string path = "/healthz")
        => endpoints.MapGet(path, async (IEnumerable<IHealthProbe> probes, CancellationToken ct) =>
        {
            var names = new List<string>();
            foreach (var probe in probes)
            {
                names.Add(probe.Name);
                try
                {
                    await probe.CheckAsync(ct).WaitAsync(ProbeTimeout, ct);
                }
                catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
                {
                    var reason = ex is TimeoutException ? $"{probe.Name} did not answer within {ProbeTimeout.TotalSeconds:0} s" : $"{probe.Name} failed: {ex.Message}";
                    return Results.Json(new { status = "unavailable", checks = names, reason }, statusCode: StatusCodes.Status503ServiceUnavailable);
                }
            }
            return Results.Json(new { status = "ok", checks = names });
        });
}
