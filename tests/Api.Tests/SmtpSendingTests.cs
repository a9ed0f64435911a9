using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using ThrottleCluster.Api.Email;
using ThrottleCluster.Api.Outbox;
using ThrottleCluster.Api.Tests.Support;
using ThrottleCluster.Tests.Support;

namespace ThrottleCluster.Api.Tests;

/// <summary>Reset emails through a real SMTP server (npm smtp-server) with STARTTLS and AUTH.</summary>
public sealed class SmtpSendingTests : IAsyncLifetime
{
    private SmtpTestServer _smtp = null!;

    public async Task InitializeAsync()
    {
        _smtp = await SmtpTestServer.StartAsync();
        _smtp.TrustCertificate();
    }

    public async Task DisposeAsync() => await _smtp.DisposeAsync();

    private Dictionary<string, string?> Smtp(string password) => new()
    {
        ["Email:PickupDirectory"] = null,
        ["Email:Smtp:Host"] = "127.0.0.1",
        ["Email:Smtp:Port"] = _smtp.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Email:Smtp:StartTls"] = "true",
        ["Email:Smtp:User"] = SmtpTestServer.User,
        ["Email:Smtp:Password"] = password,
        ["Email:Smtp:Timeout"] = "00:00:10",
        ["Outbox:MaxAttempts"] = "2",
    };

    [Fact]
    public async Task The_reset_email_arrives_over_STARTTLS_after_AUTH_and_its_token_verifies_once()
    {
        await using var api = await ApiServer.StartAsync(Smtp(SmtpTestServer.Password));
        using var client = api.CreateClient();
        Assert.Equal(HttpStatusCode.Accepted, (await client.PostAsJsonAsync("/v1/password-resets", new { login = "alice@example.com" })).StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, (await client.PostAsJsonAsync("/v1/password-resets", new { login = "nobody@example.com" })).StatusCode);

        var message = Assert.Single(await _smtp.WaitForMessagesAsync(1));
        Assert.Equal(SmtpTestServer.User, message.User); // AUTH really happened
        Assert.True(message.Secure);                     // after STARTTLS
        Assert.Equal(["alice@example.com"], message.To);
        Assert.Equal("no-reply@example.com", message.From);
        var email = Eml.Parse(message.Eml);
        Assert.Equal("auto-generated", email.Headers["Auto-Submitted"]);

        var first = await client.PostAsJsonAsync("/v1/password-resets/verify", new { token = email.Token });
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal("acct-alice", JsonDocument.Parse(await first.Content.ReadAsStringAsync()).RootElement.GetProperty("accountId").GetString());
        Assert.Equal(HttpStatusCode.BadRequest, (await client.PostAsJsonAsync("/v1/password-resets/verify", new { token = email.Token })).StatusCode);

        await Task.Delay(300);
        Assert.Single(_smtp.Messages()); // nothing for the missing account
    }

    [Fact]
    public async Task A_refused_AUTH_delivers_nothing_and_the_job_is_retried_then_dead_lettered()
    {
        await using var api = await ApiServer.StartAsync(Smtp("wrong-password"));
        using var client = api.CreateClient();
        await client.PostAsJsonAsync("/v1/password-resets", new { login = "alice@example.com" });
        var monitor = api.Services.GetRequiredService<IOutboxMonitor>();
        await Eventually.HoldsAsync(async () => (await monitor.GetCountsAsync(default)).Dead > 0, "the job dead-lettered", TimeSpan.FromSeconds(30));

        Assert.Equal(new OutboxCounts(0, 0, 0, 1), await monitor.GetCountsAsync(default));
        Assert.Equal(1, monitor.Statistics.Retried);
        Assert.Contains(SmtpTestServer.User, _smtp.AuthFailures());
        Assert.Empty(_smtp.Messages());
        var dead = Assert.Single(await monitor.GetDeadLettersAsync(5, default));
        Assert.Equal(2, dead.Attempts);
        Assert.Contains("Smtp", dead.LastError);
    }

    [Fact]
    public async Task An_address_with_a_line_break_never_reaches_the_headers()
    {
        var options = Options.Create(new EmailOptions
        {
            ResetUrlTemplate = "https://app.example.com/reset?token={token}",
            Smtp = new SmtpOptions { Host = "127.0.0.1", Port = _smtp.Port, User = SmtpTestServer.User, Password = SmtpTestServer.Password, From = "no-reply@example.com" },
        });
        var sender = new SmtpEmailSender(options);
        await Assert.ThrowsAsync<PermanentEmailException>(() => sender.SendAsync(new OutgoingEmail("alice@example.com\r\nBcc: victim@example.net", "Reset", "body"), default));
        await Assert.ThrowsAsync<PermanentEmailException>(() => sender.SendAsync(new OutgoingEmail("Alice <alice@example.com>", "Reset", "body"), default));
        await sender.SendAsync(new OutgoingEmail("alice@example.com", "Reset", "body"), default);
        Assert.Equal(["alice@example.com"], Assert.Single(await _smtp.WaitForMessagesAsync(1)).To);
    }
}
