
namespace ThrottleCluster.Hosting;

/// <summary>
/// Guards admin endpoints with the configured <c>Admin:ApiKey</c>, sent as <c>X-Api-Key</c>.
/// Without a configured key the admin API is closed. Keys are compared in constant time and never logged.
/// </summary>
public sealed class AdminApiKey(IConfiguration configuration) : IEndpointFilter
{
    public const string Header = "X-Api-Key";
    public const string ConfigurationKey = "Admin:ApiKey";

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var expected = configuration[ConfigurationKey];
        if (string.IsNullOrEmpty(expected))
            return Results.Problem($"The admin API is disabled: set {ConfigurationKey}.", statusCode: StatusCodes.Status403Forbidden, title: "Admin API disabled");
        var given = context.HttpContext.Request.Headers[Header].ToString();
        if (!Secrets.Match(given, expected))
            return Results.Problem($"Send the admin API key in the {Header} header.", statusCode: StatusCodes.Status401Unauthorized, title: "Admin API key required");
        return await next(context);
    }
}
