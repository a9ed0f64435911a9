using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Options;

namespace ThrottleCluster.Hosting;

/// <summary>
/// Configuration section <c>Limits</c>: how big a request to this host may be. Every value has one
/// home here, for the silo and the Api alike. Bodies are enforced by <see cref="RequestBodyLimit"/>
/// (413 problem+json); headers by Kestrel (431, or 400 for a request line or header it cannot
/// parse), which answers before any endpoint runs.
/// </summary>
public sealed class RequestLimits
{
    public const string Section = "Limits";

    /// <summary>
    /// Routes whose bodies are legitimately larger than a login: a whole policy (901 bytes as
    /// <c>GET /v1/admin/policy</c> shows the defaults).
    /// </summary>
    public static readonly IReadOnlySet<string> LargeBodyRoutes = new HashSet<string>(StringComparer.Ordinal) { "/v1/admin/policy" };

    /// <summary>
    /// Kestrel's own body limit, above every endpoint's: after a 413 Kestrel reads and drops the
    /// rest of a body up to this size, so the client gets the answer on a connection that stays
    /// usable. A larger body ends with the connection closed, which may reach the client as a reset.
    /// </summary>
    public const int DrainBytes = 1024 * 1024;

    /// <summary><c>Limits:MaxBodyBytes</c>: every other body (decisions, listings, resets, token verification; each well under 1 KiB).</summary>
    public int MaxBodyBytes { get; set; } = 16 * 1024;

    /// <summary><c>Limits:MaxLargeBodyBytes</c>: bodies of <see cref="LargeBodyRoutes"/>.</summary>
    public int MaxLargeBodyBytes { get; set; } = 64 * 1024;

    /// <summary><c>Limits:MaxHeaderBytes</c>: all request headers together (Kestrel's default is 32 KiB).</summary>
    public int MaxHeaderBytes { get; set; } = 16 * 1024;

    /// <summary><c>Limits:MaxHeaderCount</c>: request headers (Kestrel's default is 100).</summary>
    public int MaxHeaderCount { get; set; } = 64;

    /// <summary>The body limit of the endpoint routing chose (or of no endpoint: the small one).</summary>
    public int MaxBodyBytesFor(Endpoint? endpoint)
        => endpoint is RouteEndpoint { RoutePattern.RawText: { } route } && LargeBodyRoutes.Contains(route) ? MaxLargeBodyBytes : MaxBodyBytes;
}

/// <summary>Registers <see cref="RequestLimits"/> (validated at start-up) and applies the header limits to Kestrel.</summary>
public static class RequestLimitsRegistration
{
    /// <summary>Idempotent: the embedded Api registers the silo and the front-end, both of which call it.</summary>
    public static IServiceCollection AddRequestLimits(this IServiceCollection services)
    {
        if (services.Any(s => s.ServiceType == typeof(IValidateOptions<RequestLimits>))) return services;
        services.AddOptions<RequestLimits>().BindConfiguration(RequestLimits.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<RequestLimits>, RequestLimitsValidator>();
        services.AddOptions<KestrelServerOptions>().Configure<IOptions<RequestLimits>>((kestrel, limits) =>
        {
            kestrel.Limits.MaxRequestHeadersTotalSize = limits.Value.MaxHeaderBytes;
            kestrel.Limits.MaxRequestHeaderCount = limits.Value.MaxHeaderCount;
            kestrel.Limits.MaxRequestBodySize = Math.Max(limits.Value.MaxLargeBodyBytes, RequestLimits.DrainBytes);
        });
        return services;
    }
}

internal sealed class RequestLimitsValidator : IValidateOptions<RequestLimits>
{
    // Kestrel refuses a header total below its request-line limit (8 KiB), so that is the floor.
    private const int MinHeaderBytes = 8 * 1024;

    public ValidateOptionsResult Validate(string? name, RequestLimits limits)
    {
        var failures = new List<string>();
        if (limits.MaxBodyBytes is < 1024 or > 1024 * 1024)
            failures.Add($"{RequestLimits.Section}:MaxBodyBytes must be 1024-1048576 (was {limits.MaxBodyBytes}).");
        if (limits.MaxLargeBodyBytes < limits.MaxBodyBytes || limits.MaxLargeBodyBytes > 16 * 1024 * 1024)
            failures.Add($"{RequestLimits.Section}:MaxLargeBodyBytes must be at least {RequestLimits.Section}:MaxBodyBytes ({limits.MaxBodyBytes}) and at most 16777216 (was {limits.MaxLargeBodyBytes}).");
        if (limits.MaxHeaderBytes is < MinHeaderBytes or > 1024 * 1024)
            failures.Add($"{RequestLimits.Section}:MaxHeaderBytes must be {MinHeaderBytes}-1048576 (was {limits.MaxHeaderBytes}).");
        if (limits.MaxHeaderCount is < 16 or > 1000)
            failures.Add($"{RequestLimits.Section}:MaxHeaderCount must be 16-1000 (was {limits.MaxHeaderCount}).");
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
