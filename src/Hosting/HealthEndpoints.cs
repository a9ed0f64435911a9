using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace ThrottleCluster.Hosting;

/// <summary>
/// Health on ASP.NET Core's health checks. <c>GET /healthz/live</c>: the process serves HTTP (no
/// check; restart it when this fails). <c>GET /healthz/ready</c>: every readiness check passes
/// (grain storage and membership on a silo, the cluster and the outbox's store on an Api in cluster mode),
/// 503 with the reason otherwise (send it no traffic, and do not restart it for that). <c>GET
/// /healthz</c> is readiness too, as it always was, for the load balancers already pointed at it.
/// </summary>
public static class HealthEndpoints
{
    public const string Path = "/healthz";
    public const string LivePath = "/healthz/live";
    public const string ReadyPath = "/healthz/ready";
    public const string ReadinessTag = "ready";

    /// <summary>Adds a readiness check (<see cref="ReadinessCheck"/> or any other health check) named as the answers name it.</summary>
    public static IServiceCollection AddReadinessCheck<T>(this IServiceCollection services, string name) where T : class, IHealthCheck
    {
        services.AddHealthChecks().Add(new HealthCheckRegistration(name, sp => ActivatorUtilities.GetServiceOrCreateInstance<T>(sp), HealthStatus.Unhealthy, [ReadinessTag]));
        return services;
    }

    public static WebApplication MapHealth(this WebApplication app)
    {
        var readiness = new HealthCheckOptions { Predicate = r => r.Tags.Contains(ReadinessTag), ResponseWriter = WriteAsync };
        app.MapHealthChecks(Path, readiness).WithMetadata(new HttpMethodMetadata([HttpMethods.Get]));
        app.MapHealthChecks(ReadyPath, readiness).WithMetadata(new HttpMethodMetadata([HttpMethods.Get]));
        app.MapHealthChecks(LivePath, new HealthCheckOptions { Predicate = _ => false, ResponseWriter = WriteAsync })
            .WithMetadata(new HttpMethodMetadata([HttpMethods.Get]));
        return app;
    }

    /// <summary>
    /// <c>{"status":"ok","checks":["grain storage","membership"]}</c>, or <c>"unavailable"</c> with
    /// <c>"reason"</c>: what failed, never the error's own words (those are in the log).
    /// </summary>
    private static Task WriteAsync(HttpContext context, HealthReport report)
    {
        var checks = report.Entries.Keys.ToList();
        var failed = report.Entries.Where(e => e.Value.Status != HealthStatus.Healthy).Select(e => e.Value.Description ?? $"{e.Key} failed").ToList();
        context.Response.ContentType = "application/json; charset=utf-8";
        object body = failed.Count == 0
            ? new { status = "ok", checks }
            : new { status = "unavailable", checks, reason = string.Join("; ", failed) };
        return context.Response.WriteAsync(JsonSerializer.Serialize(body));
    }
}
