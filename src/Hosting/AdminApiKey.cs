
namespace ThrottleCluster.Hosting;

/// <summary>
/// Guards admin endpoints with the configured <c>Admin:ApiKey</c>, sent as <c>X-Api-Key</c>.
/// Without a configured key the admin API is closed. Keys are compared in constant time and never logged.
/// The check runs in the pipeline (<see cref="HttpPipeline"/>), before the endpoint binds its request:
/// a caller without the key is refused the same way whatever body it sends.
/// </summary>
public static class AdminApiKey
{
    public const string Header = "X-Api-Key";
    public const string ConfigurationKey = "Admin:ApiKey";

    /// <summary>The endpoints of <paramref name="builder"/> answer only a request with the admin key.</summary>
    public static TBuilder RequireAdminApiKey<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder
        => builder.WithMetadata(Required.Instance);

    internal static Task GuardAsync(HttpContext context, RequestDelegate next)
    {
        if (context.GetEndpoint()?.Metadata.GetMetadata<Required>() is null) return next(context);
        var expected = context.RequestServices.GetRequiredService<IConfiguration>()[ConfigurationKey];
        if (string.IsNullOrEmpty(expected))
            return Problems.WriteAsync(context, new Problems.Problem(StatusCodes.Status403Forbidden, "Admin API disabled", $"The admin API is disabled: set {ConfigurationKey}."));
        if (!Secrets.Match(context.Request.Headers[Header].ToString(), expected))
            return Problems.WriteAsync(context, new Problems.Problem(StatusCodes.Status401Unauthorized, "Admin API key required", $"Send the admin API key in the {Header} header."));
        return next(context);
    }

    private sealed class Required
    {
        public static readonly Required Instance = new();
    }
}
