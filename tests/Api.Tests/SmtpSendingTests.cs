using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using MailKit.Security;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using ThrottleCluster.Api.Email;
using ThrottleCluster.Api.Outbox;
using ThrottleCluster.Api.Tests.Support;
using ThrottleCluster.Tests.Support;

namespace ThrottleCluster.Api.Tests;

/// <summary>Reset emails through a real SMTP server (npm smtp-server) with TLS and AUTH, on MailKit's pooled connections.</summary>
public sealed class SmtpSendingTests
{
    private static async Task<IReadOnlyList<SmtpTestServer.Received>> ResetAliceAsync(ApiServer api, SmtpTestServer smtp)
    {
        using var client = api.CreateClient();
        Assert.Equal(HttpStatusCode.Accepted, (await client.PostAsJsonAsync("/v1/password-resets", new { login = "alice@example.com" })).StatusCode);
        return await smtp.WaitForMessagesAsync(1);
    }

    private static SmtpEmailSender Sender(SmtpTestServer smtp, Action<SmtpOptions>? change = null)
    {
        var options = new EmailOptions
        {
            ResetUrlTemplate = "https://app.example.com/reset?token={token}",
            Smtp = new SmtpOptions
            {
                Host = "127.0.0.1", Port = smtp.Port, User = SmtpTestServer.User, Password = SmtpTestServer.Password, From = "no-reply@example.com",
                Timeout = TimeSpan.FromSeconds(10), TestOnlyTrustedCertificateThumbprint = smtp.Certificate.Thumbprint,
            },
        };
        change?.Invoke(options.Smtp);
        var wrapped = Options.Create(options);
        return new SmtpEmailSender(wrapped, new ResetMessageBuilder(wrapped, new Microsoft.Extensions.Hosting.Internal.HostingEnvironment { ContentRootPath = Path.GetTempPath() }, new FakeTimeProvider()));
    }

    private static OutgoingEmail Email(int n) => new($"user{n}@example.com", "Reset", $"body {n}");

    [Fact]
    public async Task The_reset_email_arrives_over_STARTTLS_after_AUTH_and_its_token_verifies_once()
    {
        await using var smtp = await SmtpTestServer.StartAsync();
        await using var api = await ApiServer.StartAsync(smtp.ApiSettings());
        using var client = api.CreateClient();
        Assert.Equal(HttpStatusCode.Accepted, (await client.PostAsJsonAsync("/v1/password-resets", new { login = "nobody@example.com" })).StatusCode);

        var message = Assert.Single(await ResetAliceAsync(api, smtp));
        Assert.Equal(SmtpTestServer.User, message.User); // AUTH really happened
        Assert.True(message.Secure);                     // after STARTTLS
        Assert.Equal(["alice@example.com"], message.To);
        Assert.Equal("no-reply@example.com", message.From);
        var email = Eml.Parse(message.Eml);
        Assert.Equal("auto-generated", email.Headers["Auto-Submitted"]);
        Assert.EndsWith("@example.com>", email.Headers["Message-Id"]);
        Assert.DoesNotContain("DKIM-Signature", email.RawHeaders); // none configured

        var first = await client.PostAsJsonAsync("/v1/password-resets/verify", new { token = email.Token });
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal("acct-alice", JsonDocument.Parse(await first.Content.ReadAsStringAsync()).RootElement.GetProperty("accountId").GetString());
        Assert.Equal(HttpStatusCode.BadRequest, (await client.PostAsJsonAsync("/v1/password-resets/verify", new { token = email.Token })).StatusCode);
        // Both requests are settled, and the unknown account's sent nothing.
        await Eventually.HoldsAsync(async () => await api.Services.GetRequiredService<IOutboxMonitor>().GetCountsAsync(default) == new OutboxCounts(0, 0, 0, 0), "the outbox empty");
        Assert.Single(smtp.Messages());
    }

    [Fact]
    public async Task The_reset_email_arrives_over_implicit_TLS()
    {
        await using var smtp = await SmtpTestServer.StartAsync(implicitTls: true);
        await using var api = await ApiServer.StartAsync(smtp.ApiSettings(implicitTls: true));
        var message = Assert.Single(await ResetAliceAsync(api, smtp));
        Assert.True(message.Secure);
        Assert.Equal(SmtpTestServer.User, message.User);
    }

    [Fact]
    public async Task A_DKIM_signature_verifies_on_the_received_message_and_fails_once_it_is_changed()
    {
        await using var smtp = await SmtpTestServer.StartAsync();
        using var key = new DkimKey();
        var settings = smtp.ApiSettings();
        foreach (var (k, v) in key.ApiSettings()) settings[k] = v;
        await using var api = await ApiServer.StartAsync(settings);
        var received = DkimKey.Parse(Assert.Single(await ResetAliceAsync(api, smtp)).Eml);

        Assert.True(await key.VerifiesAsync(received));
        Assert.Contains("d=example.com", received.Headers[MimeKit.HeaderId.DkimSignature]);
        Assert.Contains("s=reset2026", received.Headers[MimeKit.HeaderId.DkimSignature]);
        received.Subject = "Reset your password now";
        Assert.False(await key.VerifiesAsync(received));
    }

    [Fact]
    public async Task A_wrong_password_against_a_server_that_takes_unauthenticated_mail_delivers_nothing_and_dead_letters()
    {
        await using var smtp = await SmtpTestServer.StartAsync(authOptional: true);
        var settings = smtp.ApiSettings("wrong-password");
        settings["Outbox:MaxAttempts"] = "2";
        await using var api = await ApiServer.StartAsync(settings);
        using var client = api.CreateClient();
        await client.PostAsJsonAsync("/v1/password-resets", new { login = "alice@example.com" });
        var monitor = api.Services.GetRequiredService<IOutboxMonitor>();
        await Eventually.HoldsAsync(async () => (await monitor.GetCountsAsync(default)).Dead > 0, "the job dead-lettered", TimeSpan.FromSeconds(30));

        Assert.Equal(new OutboxCounts(0, 0, 0, 1), await monitor.GetCountsAsync(default));
        Assert.Equal(1, monitor.Statistics.Retried);
        // Two attempts, each trying both mechanisms the server offers (PLAIN, LOGIN), each refused.
        Assert.Equal(2 * 2, smtp.AuthFailures().Split('\n', StringSplitOptions.RemoveEmptyEntries).Count(line => line.EndsWith(" " + SmtpTestServer.User, StringComparison.Ordinal)));
        Assert.Empty(smtp.Messages());
        var dead = Assert.Single(await monitor.GetDeadLettersAsync(5, default));
        Assert.Equal(2, dead.Attempts);
        Assert.StartsWith(nameof(AuthenticationException), dead.LastError);
    }

    [Fact]
    public async Task Credentials_configured_and_a_server_that_offers_no_AUTH_send_nothing()
    {
        await using var smtp = await SmtpTestServer.StartAsync(noAuth: true);
        await using var sender = Sender(smtp);
        var error = await Assert.ThrowsAsync<AuthenticationException>(() => sender.SendAsync(Email(1), default));
        Assert.Contains("does not offer AUTH", error.Message);
        Assert.Empty(smtp.Messages());
    }

    [Fact]
    public async Task The_certificate_is_validated_unless_the_test_only_override_names_it()
    {
        await using var smtp = await SmtpTestServer.StartAsync();
        await using (var strict = Sender(smtp, s => s.TestOnlyTrustedCertificateThumbprint = null))
            await Assert.ThrowsAsync<SslHandshakeException>(() => strict.SendAsync(Email(1), default));
        await using (var other = Sender(smtp, s => s.TestOnlyTrustedCertificateThumbprint = new string('A', 40)))
            await Assert.ThrowsAsync<SslHandshakeException>(() => other.SendAsync(Email(2), default));
        Assert.Empty(smtp.Messages());
        Assert.Empty(smtp.AuthFailures()); // the password never left
    }

    [Fact]
    public async Task Emails_share_the_pooled_connections()
    {
        await using var smtp = await SmtpTestServer.StartAsync();
        await using var sender = Sender(smtp, s => s.Connections = 2);
        await Task.WhenAll(Enumerable.Range(0, 40).Select(n => Task.Run(() => sender.SendAsync(Email(n), default))));
        Assert.Equal(40, (await smtp.WaitForMessagesAsync(40)).Count);
        Assert.InRange(smtp.Connections().Opened, 1, 2);
        Assert.DoesNotContain(SmtpTestServer.Password, sender.Destination); // what the start-up log says
        Assert.All(smtp.Messages(), m => Assert.Equal(SmtpTestServer.User, m.User));
    }

    [Fact]
    public async Task A_connection_the_server_dropped_while_idle_is_replaced_and_the_email_sent()
    {
        await using var smtp = await SmtpTestServer.StartAsync(socketTimeout: TimeSpan.FromMilliseconds(300));
        await using var sender = Sender(smtp, s => s.Connections = 1);
        await sender.SendAsync(Email(1), default);
        await Eventually.HoldsAsync(() => Task.FromResult(smtp.Connections().Closed == 1), "the server closed the idle connection");
        await sender.SendAsync(Email(2), default);
        Assert.Equal(["user1@example.com", "user2@example.com"], (await smtp.WaitForMessagesAsync(2)).Select(m => m.To.Single()));
        Assert.Equal(2, smtp.Connections().Opened);
    }

    [Fact]
    public async Task An_address_with_a_line_break_never_reaches_the_headers()
    {
        await using var smtp = await SmtpTestServer.StartAsync();
        await using var sender = Sender(smtp);
        await Assert.ThrowsAsync<PermanentEmailException>(() => sender.SendAsync(new OutgoingEmail("alice@example.com\r\nBcc: victim@example.net", "Reset", "body"), default));
        await Assert.ThrowsAsync<PermanentEmailException>(() => sender.SendAsync(new OutgoingEmail("Alice <alice@example.com>", "Reset", "body"), default));
        await sender.SendAsync(new OutgoingEmail("alice@example.com", "Reset", "body"), default);
        Assert.Equal(["alice@example.com"], Assert.Single(await smtp.WaitForMessagesAsync(1)).To);
    }
}
