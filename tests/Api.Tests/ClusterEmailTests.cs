using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using ThrottleCluster.Api.Outbox;
using ThrottleCluster.Api.Tests.Support;
using ThrottleCluster.Hosting;
using ThrottleCluster.Tests.Support;

namespace ThrottleCluster.Api.Tests;

/// <summary>
/// End to end through the Orleans cluster (two silo processes over Garnet, the Api an Orleans client,
/// the outbox in Garnet): reset emails reach a real SMTP server over STARTTLS with AUTH and over
/// implicit TLS, DKIM-signed; a wrong SMTP password sends nothing, dead-letters, and a replay by an
/// operator after the password is fixed delivers the email.
/// </summary>
public sealed class ClusterEmailTests(ClusterFixture cluster) : IClassFixture<ClusterFixture>
{
    private const string AdminKey = "cluster-email-admin-key";

    private ApiFactory ClusterApi(string outbox, string email, IReadOnlyDictionary<string, string?> smtp)
    {
        var api = new ApiFactory { UseTestGate = false, UseManualTime = false };
        foreach (var (key, value) in cluster.ClientSettings()) api.Settings[key] = value;
        foreach (var (key, value) in smtp) api.Settings[key] = value;
        api.Settings["Outbox:KeyPrefix"] = outbox;
        api.Settings[AdminApiKey.ConfigurationKey] = AdminKey;
        var file = Path.Combine(api.TempDirectory, "cluster-accounts.json");
        File.WriteAllText(file, JsonSerializer.Serialize(new[] { new { accountId = $"acct-{Guid.NewGuid():N}", email } }));
        api.Settings["Accounts:File"] = file;
        return api;
    }

    private static string NewEmail() => $"mail.{Guid.NewGuid():N}@example.com";

    private static async Task ResetAsync(ApiFactory api, string email)
    {
        using var client = api.CreateClient();
        Assert.Equal(HttpStatusCode.Accepted, (await client.PostAsJsonAsync("/v1/password-resets", new { login = email })).StatusCode);
    }

    [Fact]
    public async Task A_DKIM_signed_reset_email_reaches_the_SMTP_server_over_STARTTLS_after_AUTH()
    {
        await using var smtp = await SmtpTestServer.StartAsync();
        using var dkim = new DkimKey();
        var email = NewEmail();
        var settings = smtp.ApiSettings();
        foreach (var (key, value) in dkim.ApiSettings()) settings[key] = value;
        await using var api = ClusterApi($"tc:outbox:{Guid.NewGuid():N}", email, settings);
        await ResetAsync(api, email);

        var message = Assert.Single(await smtp.WaitForMessagesAsync(1));
        Assert.IsType<RedisOutbox>(api.Services.GetRequiredService<IOutbox>());
        Assert.Equal((SmtpTestServer.User, true, email), (message.User, message.Secure, message.To.Single()));
        Assert.True(await dkim.VerifiesAsync(DkimKey.Parse(message.Eml)));
    }

    [Fact]
    public async Task A_reset_email_reaches_the_SMTP_server_over_implicit_TLS()
    {
        await using var smtp = await SmtpTestServer.StartAsync(implicitTls: true);
        var email = NewEmail();
        await using var api = ClusterApi($"tc:outbox:{Guid.NewGuid():N}", email, smtp.ApiSettings(implicitTls: true));
        await ResetAsync(api, email);
        var message = Assert.Single(await smtp.WaitForMessagesAsync(1));
        Assert.Equal((SmtpTestServer.User, true, email), (message.User, message.Secure, message.To.Single()));
    }

    [Fact]
    public async Task A_wrong_password_sends_nothing_and_dead_letters_and_a_replay_after_the_fix_delivers()
    {
        // A relay that would take the email without AUTH: the Api must not let it.
        await using var smtp = await SmtpTestServer.StartAsync(authOptional: true);
        var email = NewEmail();
        var outbox = $"tc:outbox:{Guid.NewGuid():N}";
        var wrong = smtp.ApiSettings("wrong-password");
        wrong["Outbox:MaxAttempts"] = "3";
        wrong["Outbox:RetryDelay"] = "00:00:00.1";
        string deadId;
        await using (var misconfigured = ClusterApi(outbox, email, wrong))
        {
            await ResetAsync(misconfigured, email);
            using var admin = misconfigured.CreateClient();
            admin.DefaultRequestHeaders.Add(AdminApiKey.Header, AdminKey);
            DeadLetterList? dead = null;
            await Eventually.HoldsAsync(async () => (dead = await admin.GetFromJsonAsync<DeadLetterList>("/v1/admin/outbox/dead"))!.Dead == 1,
                "the job dead-lettered, seen through the admin API", TimeSpan.FromSeconds(30));
            var letter = Assert.Single(dead!.DeadLetters);
            Assert.Equal((email, 3), (letter.Email, letter.Attempts));
            Assert.StartsWith("AuthenticationException", letter.LastError);
            Assert.Equal(2, misconfigured.Services.GetRequiredService<IOutboxMonitor>().Statistics.Retried);
            deadId = letter.Id;
        }
        Assert.Empty(smtp.Messages()); // nothing accepted, although the server takes unauthenticated mail
        Assert.Equal(3 * 2, smtp.AuthFailures().Split('\n', StringSplitOptions.RemoveEmptyEntries).Length); // 3 attempts, PLAIN and LOGIN each

        // The password fixed (a new deployment on the same outbox), an operator replays the dead letter.
        await using var fixedApi = ClusterApi(outbox, email, smtp.ApiSettings());
        using var operatorClient = fixedApi.CreateClient();
        operatorClient.DefaultRequestHeaders.Add(AdminApiKey.Header, AdminKey);
        var replay = await operatorClient.PostAsJsonAsync("/v1/admin/outbox/dead/replay", new { ids = new[] { deadId } });
        Assert.Equal(1, (await replay.Content.ReadFromJsonAsync<DeadLetterChange>())!.Count);
        var message = Assert.Single(await smtp.WaitForMessagesAsync(1));
        Assert.Equal((SmtpTestServer.User, email), (message.User, message.To.Single()));
        await Eventually.HoldsAsync(async () => (await operatorClient.GetFromJsonAsync<OutboxStatus>("/v1/admin/outbox"))!.Counts == new OutboxCounts(0, 0, 0, 0), "the outbox empty");
    }
}
