using System.Net;
using System.Net.Http.Headers;
using System.Text;
using ThrottleCluster.Dashboard.Tests.Support;

namespace ThrottleCluster.Dashboard.Tests;

/// <summary>With <c>Admin:ApiKey</c> set the dashboard and its data want the key (header or HTTP Basic password); without one they are closed outside Development.</summary>
public sealed class DashboardAccessTests
{
    private const string Key = "access-test-key-91ab";

    [Theory]
    [InlineData("/dashboard")]
    [InlineData("/dashboard/data")]
    public async Task With_an_admin_key_only_requests_presenting_it_get_in(string path)
    {
        await using var api = DashboardApi.Start(new Dictionary<string, string> { ["Admin:ApiKey"] = Key });

        using var anonymous = await api.Client.GetAsync(path);
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Equal("application/problem+json", anonymous.Content.Headers.ContentType?.MediaType);
        Assert.Equal("Basic", Assert.Single(anonymous.Headers.WwwAuthenticate).Scheme);

        Assert.Equal(HttpStatusCode.Unauthorized, await StatusAsync(api, path, r => r.Headers.Add("X-Api-Key", Key + "x")));
        Assert.Equal(HttpStatusCode.Unauthorized, await StatusAsync(api, path, r => r.Headers.Authorization = Basic("operator", "wrong")));
        Assert.Equal(HttpStatusCode.Unauthorized, await StatusAsync(api, path, r => r.Headers.Authorization = new AuthenticationHeaderValue("Basic", "not base64!")));
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(api, path, r => r.Headers.Add("X-Api-Key", Key)));
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(api, path, r => r.Headers.Authorization = Basic("operator", Key)));
    }

    [Fact]
    public async Task Without_an_admin_key_the_dashboard_is_closed_outside_development()
    {
        await using var api = DashboardApi.Start();
        foreach (var path in new[] { "/dashboard", "/dashboard/data" })
        {
            using var closed = await api.Client.GetAsync(path);
            Assert.Equal(HttpStatusCode.Forbidden, closed.StatusCode);
            Assert.Equal("application/problem+json", closed.Content.Headers.ContentType?.MediaType);
        }
    }

    [Fact]
    public async Task The_page_may_only_talk_to_its_own_origin()
    {
        await using var api = DashboardApi.Start(new Dictionary<string, string> { ["Admin:ApiKey"] = Key });

        using var page = await StatusResponseAsync(api, "/dashboard");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        var policy = string.Join(";", page.Headers.GetValues("Content-Security-Policy"));
        Assert.Contains("default-src 'none'", policy);
        Assert.Contains("connect-src 'self'", policy);
        Assert.Contains("script-src 'sha256-", policy);
        var html = await page.Content.ReadAsStringAsync();
        Assert.DoesNotContain("http://", html);
        Assert.DoesNotContain("https://", html);

        using var data = await StatusResponseAsync(api, "/dashboard/data");
        Assert.Equal(HttpStatusCode.OK, data.StatusCode);
        Assert.Equal("application/json", data.Content.Headers.ContentType?.MediaType);
    }

    private static async Task<HttpResponseMessage> StatusResponseAsync(DashboardApi api, string path)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Add("X-Api-Key", Key);
        return await api.Client.SendAsync(request);
    }

    private static async Task<HttpStatusCode> StatusAsync(DashboardApi api, string path, Action<HttpRequestMessage> authenticate)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        authenticate(request);
        using var response = await api.Client.SendAsync(request);
        return response.StatusCode;
    }

    private static AuthenticationHeaderValue Basic(string user, string password)
        => new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}")));
}
