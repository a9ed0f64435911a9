using System.Net.Http.Headers;
using System.Text;

namespace ThrottleCluster.Hosting;

/// <summary>
/// Who may open an operator's page (the product's dashboard, the Orleans dashboard): whoever presents
/// <c>Admin:ApiKey</c>, in <c>X-Api-Key</c> (scripts) or as the password of HTTP Basic authentication
/// with any user name, which a browser asks for and then sends with the page's own data requests.
/// Without a configured key a page is closed (403), unless it is one that may be open in Development.
/// </summary>
public static class OperatorAccess
{
    /// <returns>Null when the request may see the page; otherwise the answer to give it.</returns>
    public static Problems.Problem? Refusal(HttpContext context, string realm, bool openWithoutKeyInDevelopment)
    {
        var services = context.RequestServices;
        if (services.GetRequiredService<IConfiguration>()[AdminApiKey.ConfigurationKey] is not { Length: > 0 } expected)
        {
            return openWithoutKeyInDevelopment && services.GetRequiredService<IHostEnvironment>().IsDevelopment()
                ? null
                : new Problems.Problem(StatusCodes.Status403Forbidden, $"{realm} disabled", $"The {realm} is closed: set {AdminApiKey.ConfigurationKey}.");
        }
        if (IsAllowed(context.Request, expected)) return null;
        context.Response.Headers.WWWAuthenticate = $"Basic realm=\"{realm}\", charset=\"UTF-8\"";
        return new Problems.Problem(StatusCodes.Status401Unauthorized, $"{realm} key required",
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
