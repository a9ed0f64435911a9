using ThrottleCluster.Tests.Support;
using System.Net;
using System.Text.Json;
using ThrottleCluster.EndToEnd.Tests.Support;

namespace ThrottleCluster.EndToEnd.Tests;

/// <summary>
/// A reset from request to verified token through everything real: the Api, an Orleans client of
/// the silo processes, decides through their grains, queues the email in Garnet, and its dispatcher
/// sends it to an SMTP server over STARTTLS with AUTH; the link's token then verifies once.
/// </summary>
[Collection(EndToEndCollection.Name)]
public sealed class PasswordResetOverSmtpTests(EndToEndCluster cluster)
{
    private static readonly byte[] AcceptedBody = """{"status":"accepted","message":"If an account matches, an email is on its way."}"""u8.ToArray();

    [Fact]
    public async Task The_reset_email_arrives_over_STARTTLS_with_AUTH_and_its_token_verifies_once()
    {
        using var response = await cluster.RequestResetAsync("carol@example.org", cluster.NextClientIp());
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal(AcceptedBody, await response.Content.ReadAsByteArrayAsync());

        var message = Assert.Single(await cluster.WaitForMessagesToAsync("carol@example.org", 1));
        Assert.Equal(SmtpTestServer.User, message.User); // AUTH happened (SmtpClient would go on without it)
        Assert.True(message.Secure);                     // and after STARTTLS
        Assert.Equal(["carol@example.org"], message.To);
        Assert.Equal("no-reply@example.com", message.From);

        // Eml decodes the body by its Content-Transfer-Encoding (base64 or quoted-printable).
        var email = Eml.Parse(message.Eml);
        Assert.StartsWith("https://app.example.com/reset?token=", email.ResetLink, StringComparison.Ordinal);
        // <base64url(account id)>.<base64url(256 random bits)>, unpadded
        Assert.Matches("^[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]{43}$", email.Token);

        using var first = await cluster.VerifyAsync(email.Token);
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal("acct-carol", JsonDocument.Parse(await first.Content.ReadAsStringAsync()).RootElement.GetProperty("accountId").GetString());
        using var second = await cluster.VerifyAsync(email.Token);
        Assert.Equal(HttpStatusCode.BadRequest, second.StatusCode);

        await cluster.WaitForOutboxDrainedAsync();
        Assert.Single(cluster.MessagesTo("carol@example.org"));
    }

    [Fact]
    public async Task A_missing_account_gets_the_same_202_and_no_email()
    {
        var enqueued = await cluster.EnqueuedAsync();
        using var existing = await cluster.RequestResetAsync("dave@example.net", cluster.NextClientIp());
        using var missing = await cluster.RequestResetAsync("nobody@example.net", cluster.NextClientIp());

        Assert.Equal(HttpStatusCode.Accepted, existing.StatusCode);
        Assert.Equal(existing.StatusCode, missing.StatusCode);
        Assert.Equal(await existing.Content.ReadAsByteArrayAsync(), await missing.Content.ReadAsByteArrayAsync());
        Assert.Equal(existing.Content.Headers.ContentType, missing.Content.Headers.ContentType);

        // The existing account's email arrives and the outbox is empty: had the missing one been
        // queued too, it would have been sent by now.
        await cluster.WaitForMessagesToAsync("dave@example.net", 1);
        await cluster.WaitForOutboxDrainedAsync();
        Assert.Equal(enqueued + 1, await cluster.EnqueuedAsync());
        Assert.Empty(cluster.MessagesTo("nobody@example.net"));
        Assert.Single(cluster.MessagesTo("dave@example.net"));
    }

    [Fact]
    public async Task A_second_request_within_the_cooldown_sends_no_second_email()
    {
        using var first = await cluster.RequestResetAsync("erin@example.com", cluster.NextClientIp());
        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        await cluster.WaitForMessagesToAsync("erin@example.com", 1);
        await cluster.WaitForOutboxDrainedAsync();

        // From another source, so only the account's own throttle can hold it back.
        var enqueued = await cluster.EnqueuedAsync();
        var before = await cluster.Decisions.TakeAsync();
        using var second = await cluster.RequestResetAsync("erin@example.com", cluster.NextClientIp());
        Assert.Equal(HttpStatusCode.Accepted, second.StatusCode);
        Assert.Equal(await first.Content.ReadAsByteArrayAsync(), await second.Content.ReadAsByteArrayAsync());
        Assert.Equal("Suppress", (await cluster.Decisions.TakeAsync()).Since(before));

        await cluster.WaitForOutboxDrainedAsync();
        Assert.Equal(enqueued, await cluster.EnqueuedAsync());
        Assert.Single(cluster.MessagesTo("erin@example.com"));
    }
}
