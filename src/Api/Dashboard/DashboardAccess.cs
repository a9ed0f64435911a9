using System.Net.Http.Headers;
using System.Text;
using ThrottleCluster.Hosting;

namespace ThrottleCluster.Api.Dashboard;

/// <summary>
/// With <c>Admin:ApiKey</c> set, the dashboard wants that key: in <c>X-Api-Key</c> (scripts), or as
/// the password of HTTP Basic authentication with any user name, which a browser asks for and then
/// sends with the page's own data requests. Without a key the dashboard is open, like <c>/metrics</c>:
/// it shows aggregates, networks truncated to /24 or /48 and domains, never an address or an email.
/// </summary>
public sealed class DashboardAccess(IConfiguration configuration) : IEndpointFilter
{
    public const string Realm = "ThrottleCluster dashboard";

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        if (configuration[AdminApiKey.ConfigurationKey] is not { Length: > 0 } expected || IsAllowed(context.HttpContext.Request, expected))
            return await next(context);
        context.HttpContext.Response.Headers.WWWAuthenticate = $"Basic realm=\"{Realm}\", charset=\"UTF-8\"";
        return new Problems.Problem(StatusCodes.Status401Unauthorized, "Dashboard key required",
            $"Send {AdminApiKey.ConfigurationKey} in the {AdminApiKey.Header} header, or as the password of HTTP Basic authentication.");
    }

    private static bool IsAllowed(HttpRequest request, string expected)
    {
        if (request.Headers.ContainsKey(AdminApiKey.Header)) return Secrets.Match(request.Headers[AdminApiKey.Header].ToString(), expected);
        return BasicPassword(request.Headers.Authorization.ToString()) is { } password && Secrets.Match(password, expected);
    }

    private static string? BasicPassword(string header)
    {
        if (!AuthenticationHeaderValue.TryParse(header, out var value) || !"Basic".Equals(value.Scheme, StringComparison.OrdinalIgnoreCase) || value.Parameter is null)
            return null;
        var bytes = new byte[value.Parameter.Length];
        if (!Convert.TryFromBase64String(value.Parameter, bytes, out var length)) return null;
        var text = Encoding.UTF8.GetString(bytes, 0, length);
        var colon = text.IndexOf(':');
        return colon < 0 ? null : text[(colon + 1)..];
    }
}
