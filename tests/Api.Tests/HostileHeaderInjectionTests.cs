using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using ThrottleCluster.Api.Endpoints;
using ThrottleCluster.Api.Outbox;
using ThrottleCluster.Api.Tests.Support;

namespace ThrottleCluster.Api.Tests;

/// <summary>
/// Nothing a client sends, and nothing odd in the account directory, reaches an email header: CR,
/// LF, NUL, encoded line breaks and quoted local parts hiding "Bcc:" are refused (400) or matched to
/// no account; the .eml written for a real account has exactly the expected headers.
/// </summary>
public sealed class HostileHeaderInjectionTests
{
    private static readonly string[] HostileLogins =
    [
        "alice@example.com\r\nBcc: mallory@evil.example",
        "alice@example.com\nBcc: mallory@evil.example",
        "alice@example.com\rBcc: mallory@evil.example",
        "alice@example.com\0",
        "alice@example.com\0\r\nBcc: mallory@evil.example",
        "alice@example.com%0d%0aBcc:%20mallory@evil.example",
        "alice@example.com%0D%0ABcc: mallory@evil.example",
        "\"alice\r\nBcc: mallory@evil.example\"@example.com",
        "\"alice\\r\\nBcc: mallory@evil.example\"@example.com",
        "\"alice\nBcc:mallory@evil.example\"@example.com",
        "=?utf-8?q?alice=0D=0ABcc:_mallory@evil.example?=@example.com",
        "alice@example.com\u2028Bcc: mallory@evil.example",
        "alice@example.com\u0085Bcc: mallory@evil.example",
        "Alice <alice@example.com>, mallory@evil.example",
        "alice@example.com, mallory@evil.example",
        "alice@example.com;mallory@evil.example",
        new string('a', 300) + "@example.com",
        new string('a', 64) + "\r\n" + new string('b', 200) + "@example.com",
        "alice@example.com\r\n\r\nInjected body",
        "alice@[127.0.0.1]\r\nBcc: mallory@evil.example",
    ];

    [Fact]
    public async Task A_hostile_login_is_refused_or_matches_no_account_and_no_mail_leaves()
    {
        await using var api = new ApiFactory();
        using var client = api.CreateClient();
        foreach (var login in HostileLogins)
        {
            using var response = await client.PostAsync(PasswordResetEndpoints.ResetPath,
                new StringContent(JsonSerializer.Serialize(new { login }), Encoding.UTF8, "application/json"));
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode is HttpStatusCode.BadRequest or HttpStatusCode.Accepted, $"{(int)response.StatusCode} for {login}: {body}");
            if (response.StatusCode == HttpStatusCode.BadRequest) Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        }
        // What reached the gate (only an accepted login does) carries no line break, NUL or separator, and is no account.
        Assert.All(api.Gate.Requests, r => Assert.False(r.Login.Any(c => char.IsControl(c) || c is '\u2028' or '\u2029'), r.Login));
        Assert.All(api.Gate.Requests, r => Assert.False(r.AccountExists, r.Login));
        // A control: a real account's request in the same host does produce mail, so "none" above means something.
        using (var real = await client.PostAsync(PasswordResetEndpoints.ResetPath, new StringContent("""{"login":"alice@example.com"}""", Encoding.UTF8, "application/json")))
            Assert.Equal(HttpStatusCode.Accepted, real.StatusCode);
        var mail = await api.WaitForMailAsync(1);
        await api.WhenRequestsHandledAsync();
        Assert.Equal(1, api.Services.GetRequiredService<OutboxStatistics>().Enqueued); // every request was handled, so nothing more is coming
        Assert.Single(api.MailFiles());
        AssertOnlyExpectedHeaders(File.ReadAllText(mail[0]), "alice@example.com", "Reset your password");
    }

    [Fact]
    public async Task Directory_records_with_hostile_emails_are_never_mailed()
    {
        await using var api = new ApiFactory();
        var accounts = Path.Combine(api.TempDirectory, "hostile-accounts.json");
        File.WriteAllText(accounts, JsonSerializer.Serialize(new object[]
        {
            new { accountId = "acct-crlf", email = "evil@example.com\r\nBcc: mallory@evil.example" },
            new { accountId = "acct-quoted", email = "\"evil\r\nBcc: mallory@evil.example\"@example.com" },
            new { accountId = "acct-list", email = "evil@example.com, mallory@evil.example" },
            new { accountId = "acct-name", email = "Evil <evil@example.com>" },
            new { accountId = "acct-nul", email = "evil@example.com\0" },
            new { accountId = "acct-ok", email = "fine@example.com" },
        }));
        api.Settings["Accounts:File"] = accounts;
        using var client = api.CreateClient();
        foreach (var id in new[] { "acct-crlf", "acct-quoted", "acct-list", "acct-name", "acct-nul", "acct-ok" })
        {
            using var response = await client.PostAsync(PasswordResetEndpoints.ResetPath,
                new StringContent(JsonSerializer.Serialize(new { login = id }), Encoding.UTF8, "application/json"));
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        }
        var mail = await api.WaitForMailAsync(1);
        // Only the plain address got an email; the others were skipped when the file was read.
        await api.WhenRequestsHandledAsync();
        Assert.Equal(1, api.Services.GetRequiredService<OutboxStatistics>().Enqueued);
        Assert.Single(api.MailFiles());
        AssertOnlyExpectedHeaders(File.ReadAllText(mail[0]), "fine@example.com", "Reset your password");
    }

    [Fact]
    public async Task The_eml_for_a_real_account_has_exactly_the_expected_headers()
    {
        await using var api = new ApiFactory();
        api.Settings["Email:Subject"] = "Reset your password";
        using var client = api.CreateClient();
        using var response = await client.PostAsync(PasswordResetEndpoints.ResetPath,
            new StringContent("""{"login":"alice@example.com"}""", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var mail = await api.WaitForMailAsync(1);
        AssertOnlyExpectedHeaders(File.ReadAllText(mail[0]), "alice@example.com", "Reset your password");
    }

    /// <summary>Header fields of an .eml, unfolded; the body is everything after the first empty line.</summary>
    private static List<(string Name, string Value)> HeaderFields(string raw)
    {
        var head = raw[..raw.IndexOf("\r\n\r\n", StringComparison.Ordinal)];
        // A line break anywhere but a CRLF pair would be a header break some reader honours.
        Assert.DoesNotMatch("\r(?!\n)|(?<!\r)\n|\0", head);
        var fields = new List<(string Name, string Value)>();
        foreach (var line in head.Split("\r\n"))
        {
            if (line.Length > 0 && line[0] is ' ' or '\t')
            {
                fields[^1] = (fields[^1].Name, fields[^1].Value + " " + line.Trim());
                continue;
            }
            var colon = line.IndexOf(':');
            Assert.True(colon > 0, $"not a header field: {line}");
            fields.Add((line[..colon], line[(colon + 1)..].Trim()));
        }
        return fields;
    }

    private static void AssertOnlyExpectedHeaders(string raw, string to, string subject)
    {
        var fields = HeaderFields(raw);
        var names = fields.Select(f => f.Name.ToLowerInvariant()).ToList();
        // The pickup format: the envelope lines, then the message's own headers.
        string[] expected = ["x-sender", "x-receiver", "mime-version", "from", "to", "date", "subject", "message-id", "auto-submitted", "content-type", "content-transfer-encoding"];
        Assert.Equal(expected.Order(), names.Order());
        Assert.Equal(to, fields.Single(f => f.Name.Equals("To", StringComparison.OrdinalIgnoreCase)).Value);
        Assert.Equal(to, fields.Single(f => f.Name.Equals("X-Receiver", StringComparison.OrdinalIgnoreCase)).Value);
        Assert.Equal(subject, fields.Single(f => f.Name.Equals("Subject", StringComparison.OrdinalIgnoreCase)).Value);
        Assert.DoesNotContain("mallory", raw, StringComparison.OrdinalIgnoreCase);
    }
}
