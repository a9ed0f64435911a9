using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using ThrottleCluster.Dashboard.Tests.Support;
using ThrottleCluster.Tests.Support;
using Xunit.Abstractions;

namespace ThrottleCluster.Dashboard.Tests;

/// <summary>
/// The dashboard in a real browser (Debian's Chromium through Playwright) against the Api on real
/// Kestrel, while reset traffic (sent, suppressed and rejected) flows: what the page shows must be
/// what <c>/metrics</c> says at the same moment, and no full client address may appear anywhere.
/// </summary>
public sealed partial class DashboardPageTests(ITestOutputHelper output)
{
    private const string AdminKey = "dashboard-test-key-6f1d";
    private const int GlobalBudget = 40;

    // Full addresses the traffic comes from; the page may show only their networks.
    private const string HammeringIp = "203.0.113.7";
    private const string HammeringIpv6 = "2001:db8:1:2::7";
    private const string FloodPrefix = "198.51.100.";
    private const string UserPrefix = "192.0.2.";

    [Fact]
    public async Task Page_shows_the_numbers_metrics_shows_while_traffic_flows_and_never_a_full_address()
    {
        await using var api = DashboardApi.Start(new Dictionary<string, string>
        {
            ["Admin:ApiKey"] = AdminKey,
            ["Throttle:Global:PerMinute"] = GlobalBudget.ToString(CultureInfo.InvariantCulture),
            ["Throttle:Global:Burst"] = "10",
            ["Throttle:Ip:Burst"] = "3",
            ["Throttle:Domain:Floor"] = "3",
            ["Throttle:Domain:Ceiling"] = "3",
        });
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new() { ExecutablePath = "/usr/bin/chromium", Headless = true });
        // The browser authenticates as an operator would: HTTP Basic with the admin key as password.
        await using var context = await browser.NewContextAsync(new()
        {
            HttpCredentials = new() { Username = "operator", Password = AdminKey },
            ViewportSize = new() { Width = 1400, Height = 1000 },
        });
        var page = await context.NewPageAsync();
        var pageErrors = new List<string>();
        page.PageError += (_, error) => pageErrors.Add(error);
        page.Console += (_, message) => { if (message.Type == "error") pageErrors.Add($"{message.Text} ({message.Location})"); };
        var dashboard = await page.GotoAsync(new Uri(api.Address, "/dashboard").ToString());
        Assert.Equal(200, dashboard!.Status);

        using var stop = new CancellationTokenSource();
        var traffic = DriveTrafficAsync(api, stop.Token);
        try
        {
            await Eventually.HoldsAsync(async () => await ShownAsync(page, "decisions-reject-source") > 0 && await ShownAsync(page, "emails-sent") > 0
                                                    && await ShownAsync(page, "decisions-suppress") > 0,
                "the page shows sent emails, suppressions and rejected sources");
            await Eventually.HoldsAsync(async () => (await page.GetByTestId("top-domains").InnerTextAsync()).Contains("victim.example"),
                "the flooded domain is among the top throttled domains");

            var firstRejected = await ShownAsync(page, "decisions-reject-source");
            for (var round = 0; round < 3; round++) await AssertPageAgreesWithMetricsAsync(api, page);
            Assert.True(await ShownAsync(page, "decisions-reject-source") > firstRejected, "the page kept updating while traffic flowed");

            var networks = await page.GetByTestId("top-networks").InnerTextAsync();
            Assert.Contains("203.0.113.0/24", networks);
            Assert.Contains("2001:db8:1::/48", networks);
            Assert.Equal(GlobalBudget, await ShownAsync(page, "global-budget"));
            foreach (var state in new[] { "pending", "in-flight", "delayed", "dead" })
                Assert.True(await ShownAsync(page, "outbox-" + state) >= 0, $"the page shows the outbox's {state} count");
            var perMinute = await ShownAsync(page, "emails-per-minute");
            Assert.InRange(perMinute, 0, await ShownAsync(page, "emails-sent"));
        }
        finally
        {
            await stop.CancelAsync();
            await traffic;
        }

        var text = await page.InnerTextAsync("body");
        // A figure the data does not carry would read "undefined" or "NaN" instead of failing.
        Assert.DoesNotContain("undefined", text);
        Assert.DoesNotContain("NaN", text);
        AssertNoFullAddress("the page's text", text);
        AssertNoFullAddress("the page's HTML", await page.ContentAsync());
        using var data = new HttpRequestMessage(HttpMethod.Get, "/dashboard/data");
        data.Headers.Add("X-Api-Key", AdminKey);
        using var dataResponse = await api.Client.SendAsync(data);
        AssertNoFullAddress("/dashboard/data", await dataResponse.Content.ReadAsStringAsync());
        AssertNoFullAddress("/metrics", (await PrometheusText.ScrapeAsync(api.Client)).Text);
        Assert.True(pageErrors.Count == 0, string.Join(Environment.NewLine, pageErrors));

        var screenshot = Path.Combine(AppContext.BaseDirectory, "TestResults", "dashboard.png");
        Directory.CreateDirectory(Path.GetDirectoryName(screenshot)!);
        await page.ScreenshotAsync(new() { Path = screenshot, FullPage = true });
        Assert.True(new FileInfo(screenshot).Length > 0);
        output.WriteLine($"Dashboard screenshot: {screenshot}");
        Console.WriteLine($"Dashboard screenshot: {screenshot}");
    }

    /// <summary>
    /// Monotonic totals: the page's value must lie between a scrape taken before the page fetched it
    /// and one taken after. The page fetches one poll at a time, so two completed polls after the
    /// first scrape mean the values shown were fetched after it.
    /// </summary>
    private static async Task AssertPageAgreesWithMetricsAsync(DashboardApi api, IPage page)
    {
        var before = await PrometheusText.ScrapeAsync(api.Client);
        var polls = await ShownAsync(page, "poll-count");
        await Eventually.HoldsAsync(async () => await ShownAsync(page, "poll-count") >= polls + 2, "the page polled twice more");
        var shown = new Dictionary<string, long>();
        foreach (var id in new[] { "decisions-send", "decisions-suppress", "decisions-reject-source", "decisions-defer", "emails-sent", "breaker-stage", "global-budget", "granted-last-minute" })
            shown[id] = await ShownAsync(page, id);
        var after = await PrometheusText.ScrapeAsync(api.Client);

        AssertBetween("decisions-send", shown, before, after, "tc_api_decisions_total{verdict=\"Send\"}");
        AssertBetween("decisions-suppress", shown, before, after, "tc_api_decisions_total{verdict=\"Suppress\"}");
        AssertBetween("decisions-reject-source", shown, before, after, "tc_api_decisions_total{verdict=\"RejectSource\"}");
        AssertBetween("decisions-defer", shown, before, after, "tc_api_decisions_total{verdict=\"Defer\"}");
        AssertBetween("emails-sent", shown, before, after, "tc_outbox_sent_total");
        Assert.True(before.Has("tc_global_breaker_stage") && after.Has("tc_global_breaker_stage"), "the breaker stage is a gauge on /metrics");
        Assert.InRange(shown["breaker-stage"], Math.Min(before.Value("tc_global_breaker_stage"), after.Value("tc_global_breaker_stage")),
            Math.Max(before.Value("tc_global_breaker_stage"), after.Value("tc_global_breaker_stage")));
        // The Api's grants of the last minute are a window over the Send decisions it took (tc_decisions).
        Assert.InRange(shown["granted-last-minute"], 0, after.Value("tc_decisions_total{verdict=\"Send\"}"));
        Assert.Equal(GlobalBudget, after.Value("tc_global_budget_per_minute"));
        Assert.Equal(GlobalBudget, shown["global-budget"]);
    }

    private static void AssertBetween(string id, Dictionary<string, long> shown, PrometheusText before, PrometheusText after, string series)
    {
        Assert.True(shown[id] >= before.Value(series) && shown[id] <= after.Value(series),
            $"{id} shows {shown[id]}, /metrics {series} was {before.Value(series)} before and {after.Value(series)} after");
    }

    private static async Task<long> ShownAsync(IPage page, string testId)
    {
        var text = (await page.GetByTestId(testId).TextContentAsync())?.Trim();
        return long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) ? value : -1;
    }

    /// <summary>Sent, suppressed (cooldown, domain budget) and rejected (IP burst) requests, from IPv4 and IPv6 sources, until cancelled.</summary>
    private static async Task DriveTrafficAsync(DashboardApi api, CancellationToken ct)
    {
        for (var i = 0; !ct.IsCancellationRequested; i++)
        {
            try
            {
                await api.RequestResetAsync("alice@example.com", HammeringIp, ct);
                await api.RequestResetAsync("bob@example.com", HammeringIpv6, ct);
                await api.RequestResetAsync($"ghost{i}@victim.example", FloodPrefix + (i % 250 + 1), ct);
                await api.RequestResetAsync(DashboardApi.AccountEmails[i % DashboardApi.AccountEmails.Length], UserPrefix + (i % 250 + 1), ct);
                await Task.Delay(20, ct);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
        }
    }

    private static void AssertNoFullAddress(string where, string text)
    {
        foreach (var address in new[] { HammeringIp, HammeringIpv6, "2001:db8:1:2:", FloodPrefix + "1", UserPrefix + "1", "127.0.0.1" })
            Assert.False(text.Contains(address, StringComparison.Ordinal), $"{where} contains the address {address}");
        // A dotted quad is allowed only as a network's first address with its prefix length.
        var full = FullIpv4().Matches(text).Select(m => m.Value).ToList();
        Assert.True(full.Count == 0, $"{where} contains full IPv4 addresses: {string.Join(", ", full)}");
    }

    [GeneratedRegex(@"(?<![\d.])\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}(?![\d./])")]
    private static partial Regex FullIpv4();
}
