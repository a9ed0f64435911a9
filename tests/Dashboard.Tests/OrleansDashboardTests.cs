extern alias silo;

using System.Net;
using Microsoft.Playwright;
using ThrottleCluster.Dashboard.Tests.Support;
using ThrottleCluster.Hosting;
using ThrottleCluster.Tests.Support;
using SiloProgram = silo::Program;

namespace ThrottleCluster.Dashboard.Tests;

/// <summary>
/// The Orleans Dashboard on the embedded Api and on a silo, behind the admin key: in headless
/// Chromium it loads with the key and shows the cluster's live grains; without the key it is refused,
/// without a configured key it is closed, and <c>Admin:OrleansDashboard=false</c> leaves it unmapped.
/// </summary>
public sealed class OrleansDashboardTests
{
    private const string AdminKey = "orleans-dashboard-key-5c2e";
    private static readonly string Page = OrleansDashboard.Path + "/";

    [Fact]
    public async Task The_dashboard_shows_the_embedded_silos_live_grains_to_an_operator_with_the_key()
    {
        await using var api = DashboardApi.Start(new Dictionary<string, string> { [AdminApiKey.ConfigurationKey] = AdminKey });
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new() { ExecutablePath = "/usr/bin/chromium", Headless = true });

        await using (var stranger = await browser.NewContextAsync())
        {
            // Asked from a browser without the key (a page navigation would stop at Chromium's own credentials prompt).
            var refused = await stranger.APIRequest.GetAsync(new Uri(api.Address, Page).ToString());
            Assert.Equal(401, refused.Status);
            Assert.StartsWith("Basic", refused.Headers["www-authenticate"]);
        }

        await using var context = await browser.NewContextAsync(new() { HttpCredentials = new() { Username = "operator", Password = AdminKey } });
        var page = await context.NewPageAsync();
        var errors = new List<string>();
        page.PageError += (_, error) => errors.Add(error);
        var loaded = await page.GotoAsync(new Uri(api.Address, Page).ToString());
        Assert.Equal(200, loaded!.Status);
        // Traffic after the page is open: the grains it activates are live data, not a page served with them in it.
        for (var i = 0; i < 4; i++) Assert.Equal(202, await api.RequestResetAsync(DashboardApi.AccountEmails[i], $"192.0.2.{i + 10}"));
        await Eventually.HoldsAsync(async () => (await page.InnerTextAsync("body")).Contains("DomainGrain", StringComparison.Ordinal),
            "the Orleans dashboard lists the domain grains the resets activated", TimeSpan.FromSeconds(30));
        Assert.True(errors.Count == 0, string.Join(Environment.NewLine, errors));
    }

    [Fact]
    public async Task A_silo_serves_the_dashboards_data_only_with_the_key_and_not_at_all_when_switched_off()
    {
        await using (var host = KestrelHost<SiloProgram>.Start(new Dictionary<string, string> { [AdminApiKey.ConfigurationKey] = AdminKey }))
        {
            using var http = host.CreateHttpClient();
            using (var anonymous = await http.GetAsync(OrleansDashboard.Path + "/DashboardCounters"))
            {
                Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
                Assert.Equal("application/problem+json", anonymous.Content.Headers.ContentType?.MediaType);
            }
            // The dashboard samples the cluster every second: this silo, as the membership has it, shows up.
            await Eventually.HoldsAsync(async () =>
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, OrleansDashboard.Path + "/DashboardCounters");
                request.Headers.Add(AdminApiKey.Header, AdminKey);
                using var counters = await http.SendAsync(request);
                Assert.Equal(HttpStatusCode.OK, counters.StatusCode);
                return (await counters.Content.ReadAsStringAsync()).Contains("\"siloAddress\"", StringComparison.Ordinal);
            }, "the silo's dashboard counters list the silo", TimeSpan.FromSeconds(30));
        }
        await using (var closed = KestrelHost<SiloProgram>.Start(new Dictionary<string, string>()))
        {
            using var http = closed.CreateHttpClient();
            using var refused = await http.GetAsync(Page);
            Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        }
        await using (var off = KestrelHost<SiloProgram>.Start(new Dictionary<string, string> { [AdminApiKey.ConfigurationKey] = AdminKey, [OrleansDashboard.EnabledKey] = "false" }))
        {
            using var http = off.CreateHttpClient();
            using var request = new HttpRequestMessage(HttpMethod.Get, Page);
            request.Headers.Add(AdminApiKey.Header, AdminKey);
            using var missing = await http.SendAsync(request);
            Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        }
    }
}
