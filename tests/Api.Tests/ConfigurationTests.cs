using ThrottleCluster.Tests.Support;
using System.Net;
using System.Net.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using ThrottleCluster.Api.Email;
using ThrottleCluster.Api.Tests.Support;
using ThrottleCluster.Hosting;

namespace ThrottleCluster.Api.Tests;

public sealed class ConfigurationTests
{
    // A real host, not WebApplicationFactory: the factory sometimes reports a failed start as an
    // ObjectDisposedException instead of the failure itself.
    private static async Task<string> StartupFailure(Dictionary<string, string?> settings, Action<IServiceCollection>? services = null)
    {
        var error = await Assert.ThrowsAnyAsync<Exception>(async () => await (await ApiServer.StartAsync(settings, services)).DisposeAsync());
        return error.ToString();
    }

    [Theory]
    [InlineData("Email:Smtp:Port", "0", "Email:Smtp:Port must be 1-65535 (was 0)")]
    [InlineData("Email:Smtp:Port", "70000", "Email:Smtp:Port must be 1-65535 (was 70000)")]
    [InlineData("Email:Smtp:Port", "abc", "'abc'")]
    [InlineData("Email:ResetUrlTemplate", "https://app.example.com/reset", "Email:ResetUrlTemplate must be an absolute http or https URL containing {token} once (was 'https://app.example.com/reset')")]
    [InlineData("Email:ResetUrlTemplate", "javascript:alert({token})", "Email:ResetUrlTemplate")]
    [InlineData("Email:Smtp:From", "not an address", "Email:Smtp:From must be an email address such as 'Example <no-reply@example.com>' (was 'not an address')")]
    [InlineData("Email:Smtp:Tls", "Sometimes", "'Sometimes'")]
    [InlineData("Email:Smtp:StartTls", "false", "Email:Smtp:StartTls is not a setting: use Email:Smtp:Tls=StartTls, Implicit or None (was StartTls='false')")]
    [InlineData("Email:Smtp:Connections", "0", "Email:Smtp:Connections must be 1-32 (was 0)")]
    [InlineData("Email:Smtp:TestOnlyTrustedCertificateThumbprint", "abc", "Email:Smtp:TestOnlyTrustedCertificateThumbprint must be a SHA-1 thumbprint of 40 hex digits (was 'abc')")]
    [InlineData("Email:Dkim:Selector", "mail", "Email:Dkim:PrivateKeyFile must be set when Email:Dkim:Domain or Email:Dkim:Selector is (was empty)")]
    [InlineData("Email:PickupDirectory", null, "Email:Smtp:Host (send through SMTP) or Email:PickupDirectory (write .eml files) must be set")]
    [InlineData("Tokens:Lifetime", "00:00:10", "Tokens:Lifetime must be 00:01:00-1.00:00:00 (was 00:00:10)")]
    [InlineData("Outbox:MaxAttempts", "0", "Outbox:MaxAttempts must be 1-100 (was 0)")]
    [InlineData("Outbox:VisibilityTimeout", "00:00:05", "Outbox:VisibilityTimeout must be longer than Email:Smtp:Timeout (00:00:30) and at most 1.00:00:00 (was 00:00:05)")]
    [InlineData("Outbox:MaxDeadLetters", "0", "Outbox:MaxDeadLetters must be 1-10000000 (was 0)")]
    [InlineData("Outbox:KeyPrefix", "a{b}", "Outbox:KeyPrefix must be 1-100 characters without white space or braces (was 'a{b}')")]
    [InlineData("Network:TrustedProxies", "10.0.0.0/8,banana", "Network:TrustedProxies must be a list of CIDR ranges such as 10.0.0.0/8 (was 'banana'")]
    [InlineData("Accounts:File", "/nonexistent/accounts.json", "Accounts:File names a file that does not exist (was '/nonexistent/accounts.json')")]
    [InlineData("Accounts:LookupUrl", "ftp://accounts", "Accounts:LookupUrl must be an absolute http or https URL (was 'ftp://accounts')")]
    [InlineData("Cluster:Provider", "Mongo", "Cluster:Provider must be one of Localhost, Redis, AzureStorage (was 'Mongo')")]
    [InlineData("Cluster:SiloPort", "0", "Cluster:SiloPort must be a port from 1 to 65535 (was '0')")]
    [InlineData("Cluster:GatewayPort", "http", "Cluster:GatewayPort must be a port from 1 to 65535 (was 'http')")]
    [InlineData("Cluster:ResponseTimeout", "forever", "Cluster:ResponseTimeout must be a duration from 00:00:00.1 to 00:05:00 (was 'forever')")]
    [InlineData("Cluster:AdvertisedAddress", "silo.example", "Cluster:AdvertisedAddress must be an IP address (was 'silo.example')")]
    [InlineData("Throttle:AccountHashSecret", "0", "Throttle:AccountHashSecret must be a non-zero 64-bit number, decimal or 0x-hex (was '0')")]
    public async Task An_invalid_value_stops_startup_naming_the_key_and_the_value(string key, string? value, string message)
    {
        var failure = await StartupFailure(new() { [key] = value });
        Assert.Contains(message, failure);
    }

    [Theory]
    [InlineData(null, "Cluster:Redis must be set with Cluster:Provider=Redis")]
    // Named, not quoted: a connection string may hold a password.
    [InlineData("127.0.0.1:6379,bogus=1", "Cluster:Redis is not a StackExchange.Redis connection string: Keyword 'bogus' is not supported")]
    public async Task An_unusable_Redis_cluster_stops_startup_naming_the_key(string? redis, string message)
    {
        var failure = await StartupFailure(new() { ["Cluster:Provider"] = "Redis", ["Cluster:Redis"] = redis, ["Throttle:AccountHashSecret"] = "0x5eed" });
        Assert.Contains(message, failure);
    }

    [Fact]
    public async Task A_cluster_without_an_account_hash_secret_stops_startup_saying_so()
    {
        var failure = await StartupFailure(new() { ["Cluster:Provider"] = "Redis", ["Cluster:Redis"] = "127.0.0.1:1" });
        Assert.Contains("Throttle:AccountHashSecret must be set in a cluster, the same on every silo and Api", failure);
    }

    [Fact]
    public async Task Smtp_credentials_are_refused_without_TLS_to_a_remote_host()
    {
        var failure = await StartupFailure(new()
        {
            ["Email:Smtp:Host"] = "smtp.example.com",
            ["Email:Smtp:Tls"] = "None",
            ["Email:Smtp:User"] = "mailer",
            ["Email:Smtp:Password"] = "secret",
        });
        Assert.Contains("Email:Smtp:Tls must be StartTls or Implicit when Email:Smtp:User is set, or the password crosses the network in clear (was None, host 'smtp.example.com')", failure);
        Assert.DoesNotContain("secret", failure);
    }

    [Theory]
    [InlineData("example.org", "Email:Dkim:Domain must be the domain of Email:Smtp:From or a parent of it, or receivers do not count the signature (was 'example.org', From is in 'example.com')")]
    [InlineData("example.com", "Email:Dkim:PrivateKeyFile could not be read as a PEM RSA private key (was '")]
    public async Task A_DKIM_configuration_that_cannot_sign_stops_startup_naming_the_key(string domain, string message)
    {
        var key = Path.Combine(Path.GetTempPath(), $"tc-dkim-{Guid.NewGuid():N}.pem");
        await File.WriteAllTextAsync(key, "not a key");
        try
        {
            var failure = await StartupFailure(new() { ["Email:Dkim:PrivateKeyFile"] = key, ["Email:Dkim:Domain"] = domain, ["Email:Dkim:Selector"] = "mail" });
            Assert.Contains(message, failure);
        }
        finally
        {
            File.Delete(key);
        }
    }

    [Fact]
    public async Task Trusted_proxies_from_one_comma_separated_value_replace_loopback()
    {
        await using var api = new ApiFactory();
        api.Settings["Network:TrustedProxies"] = "10.0.0.0/8, 192.0.2.1";
        api.CreateClient();
        var resolver = api.Services.GetRequiredService<ClientAddressResolver>();
        Assert.True(resolver.IsTrusted(IPAddress.Parse("10.9.8.7")));
        Assert.True(resolver.IsTrusted(IPAddress.Parse("192.0.2.1")));
        Assert.False(resolver.IsTrusted(IPAddress.Loopback));
    }

    [Fact]
    public async Task Embedded_defaults_ship_in_appsettings()
    {
        // Only the gate and the pickup directory replaced: accounts, template and sender come from appsettings.json.
        await using var api = new ApiFactory();
        api.Settings.Remove("Accounts:File");
        api.Settings.Remove("Email:ResetUrlTemplate");
        api.Settings.Remove("Email:Smtp:From");
        var client = api.CreateClient();
        Assert.Equal("""{"status":"ok","checks":["grain storage","membership"]}""", await client.GetStringAsync("/healthz"));
        Assert.IsType<PickupDirectoryEmailSender>(api.Services.GetRequiredService<IEmailSender>());
        var answer = await client.PostAsJsonAsync("/v1/password-resets", new { login = "alice@example.com" });
        Assert.Equal(HttpStatusCode.Accepted, answer.StatusCode);
        var email = Eml.Read((await api.WaitForMailAsync(1))[0]);
        Assert.Equal("alice@example.com", email.Headers["To"]);
        Assert.StartsWith("https://app.example.com/reset?token=", email.ResetLink);
    }
}
