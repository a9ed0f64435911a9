using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;

namespace ThrottleCluster.Api.Dashboard;

/// <summary>
/// <c>GET /dashboard</c>: one self-contained page (<c>dashboard.html</c>, inline script and style,
/// charts drawn on canvas) that polls <c>GET /dashboard/data</c> every second. Its content security
/// policy allows exactly its own inline script and style, and requests to this origin only.
/// Both endpoints are behind <see cref="DashboardAccess"/>.
/// </summary>
public static partial class DashboardEndpoints
{
    public const string PagePath = "/dashboard";
    public const string DataPath = "/dashboard/data";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { Converters = { new JsonStringEnumConverter() } };
    private static readonly Lazy<(byte[] Html, string Policy)> Page = new(LoadPage);

    public static IEndpointRouteBuilder MapDashboard(this IEndpointRouteBuilder endpoints)
    {
        var group = endpoints.MapGroup("").AddEndpointFilter<DashboardAccess>();
        group.MapGet(PagePath, (HttpContext http) =>
        {
            var (html, policy) = Page.Value;
            http.Response.Headers.ContentSecurityPolicy = policy;
            http.Response.Headers.CacheControl = "no-store";
            http.Response.Headers.XContentTypeOptions = "nosniff";
            return Results.Bytes(html, "text/html; charset=utf-8");
        });
        group.MapGet(DataPath, (HttpContext http) =>
        {
            http.Response.Headers.CacheControl = "no-store";
            return Results.Json(DashboardData.Read(http.RequestServices), Json);
        });
        return endpoints;
    }

    private static (byte[] Html, string Policy) LoadPage()
    {
        using var stream = typeof(DashboardEndpoints).Assembly.GetManifestResourceStream("ThrottleCluster.Api.Dashboard.dashboard.html")
                           ?? throw new InvalidOperationException("The dashboard page is missing from the Api's resources.");
        using var reader = new StreamReader(stream, Encoding.UTF8);
        var html = reader.ReadToEnd();
        var policy = $"default-src 'none'; script-src {Hashes(ScriptPattern(), html)}; style-src {Hashes(StylePattern(), html)}; "
                     + "connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
        return (Encoding.UTF8.GetBytes(html), policy);
    }

    private static string Hashes(Regex pattern, string html)
        => string.Join(' ', pattern.Matches(html).Select(m => $"'sha256-{Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(m.Groups[1].Value)))}'"));

    [GeneratedRegex(@"<script>(.*?)</script>", RegexOptions.Singleline)]
    private static partial Regex ScriptPattern();

    [GeneratedRegex(@"<style>(.*?)</style>", RegexOptions.Singleline)]
    private static partial Regex StylePattern();
}
