
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
            return new Problems.Problem(StatusCodes.Status403Forbidden, "Admin API disabled", $"The admin API is disabled: set {ConfigurationKey}.");
        var given = context.HttpContext.Request.Headers[Header].ToString();
        if (!Secrets.Match(given, expected))
            return new Problems.Problem(StatusCodes.Status401Unauthorized, "Admin API key required", $"Send the admin API key in the {Header} header.");
        return await next(context);
    }
}
