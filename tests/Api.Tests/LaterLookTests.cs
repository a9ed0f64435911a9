using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using ThrottleCluster.Api.Gate;
using ThrottleCluster.Api.Outbox;
using ThrottleCluster.Api.Tests.Support;
using ThrottleCluster.Tests.Support;

namespace ThrottleCluster.Api.Tests;

/// <summary>A request the gate defers is answered like any other and asked again when the gate said.</summary>
public sealed class LaterLookTests : IAsyncLifetime
{
    private static readonly TimeSpan Soon = TimeSpan.FromMilliseconds(50);
    private readonly ApiFactory _api = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _api.DisposeAsync();

    private async Task<(HttpStatusCode Status, string Body)> AskAsync(string login)
    {
        using var content = new StringContent(JsonSerializer.Serialize(new { login }), Encoding.UTF8, "application/json");
        var response = await _api.CreateClient().PostAsync("/v1/password-resets", content);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    private async Task WaitForLooksAsync(int count)
    {
        await Eventually.HoldsAsync(() => _api.Gate.Requests.Count >= count, $"{count} looks at the gate", TimeSpan.FromSeconds(20));
        Assert.Equal(count, _api.Gate.Requests.Count);
    }

    private async Task<double> LaterLookOutcomeAsync(string outcome)
        => (await PrometheusText.ScrapeAsync(_api.CreateClient())).Value($"tc_api_later_looks_total{{outcome=\"{outcome}\"}}");

    [Fact]
    public async Task A_deferred_request_is_answered_like_a_sent_one_and_its_email_leaves_when_a_later_look_lets_it()
    {
        _api.Gate.Decide = r => r.Login == "alice@example.com" && r.Look < 2 ? new GateDecision(GateVerdict.Defer, Soon) : GateDecision.Send;
        var deferred = await AskAsync("alice@example.com");
        var sent = await AskAsync("acct-bob");
        Assert.Equal(sent, deferred);

        var mail = await _api.WaitForMailAsync(2);
        Assert.Equal(["Bob@Example.com", "alice@example.com"], mail.Select(f => Eml.Read(f).Headers["To"]).Order(StringComparer.Ordinal));
        var looks = _api.Gate.Requests.Where(r => r.Login == "alice@example.com").Select(r => r.Look);
        Assert.Equal([0, 1, 2], looks);
    }

    [Fact]
    public async Task A_later_look_that_is_refused_sends_nothing_and_asks_no_more()
    {
        _api.Gate.Decide = r => r.Look == 0 ? new GateDecision(GateVerdict.Defer, Soon) : GateDecision.Suppress;
        await AskAsync("alice@example.com");
        await WaitForLooksAsync(2);
        var laterLooks = _api.Services.GetRequiredService<LaterLooks>();
        await Eventually.HoldsAsync(async () => await LaterLookOutcomeAsync("suppressed") == 1, "the second look's outcome counted", TimeSpan.FromSeconds(20));
        Assert.Equal(0, laterLooks.Waiting);
        Assert.Equal(0, await LaterLookOutcomeAsync("deferred"));
        Assert.Equal(2, _api.Gate.Requests.Count);
        Assert.Equal(0, _api.Services.GetRequiredService<OutboxStatistics>().Enqueued);
    }

    [Fact]
    public async Task A_deferred_request_for_a_missing_account_is_not_looked_at_again()
    {
        _api.Gate.Decide = _ => new GateDecision(GateVerdict.Defer, Soon);
        var missing = await AskAsync("nobody@example.com");
        Assert.Equal(HttpStatusCode.Accepted, missing.Status);
        await _api.WhenRequestsHandledAsync();
        Assert.Equal(0, _api.Services.GetRequiredService<LaterLooks>().Waiting); // its handler is done: a later look it had scheduled would be waiting
        Assert.Single(_api.Gate.Requests);
    }
}
