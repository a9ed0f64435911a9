using ThrottleCluster.Tests.Support;
using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using ThrottleCluster.Api.Endpoints;
using ThrottleCluster.Api.Tests.Support;
using ThrottleCluster.Silo.Tests.Support;

namespace ThrottleCluster.Api.Tests;

/// <summary>
/// The Api with its real in-process silo, logging everything at Trace: a batch of resets, refusals
/// and token verifications leaves no email address, client address or token in any log line, nor
/// in /metrics.
/// </summary>
public sealed class HostileLoggingTests
{
    /// <summary>Requests arrive from 127.0.0.1 (a trusted proxy by default), so X-Forwarded-For names the client.</summary>
    private sealed class LoopbackPeer : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Use((context, following) =>
            {
                context.Connection.RemoteIpAddress = IPAddress.Loopback;
                return following(context);
            });
            next(app);
        };
    }

    private static StringContent Json(object body) => new(JsonSerializer.Serialize(body), Encoding.UTF8, "application/json");

    [Fact]
    public async Task Resets_refusals_and_verifications_log_no_email_address_or_token_at_any_level()
    {
        await using var api = new ApiFactory { UseManualTime = false, UseTestGate = false };
        api.ExtraServices = services => services.AddSingleton<IStartupFilter>(new LoopbackPeer());
        var logs = new HostileTraceLogs();
        await using var host = api.WithWebHostBuilder(builder => builder.ConfigureLogging(logging =>
        {
            logging.SetMinimumLevel(LogLevel.Trace);
            logging.AddProvider(logs);
            logging.AddFilter<HostileTraceLogs>(null, LogLevel.Trace);
        }));
        using var client = host.CreateClient();

        var secrets = new List<string> { "alice@example.com", "bob@example.com", "acct-alice", "acct-bob" };
        async Task ResetAsync(string login, string clientIp, params HttpStatusCode[] expected)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, PasswordResetEndpoints.ResetPath) { Content = Json(new { login }) };
            request.Headers.Add("X-Forwarded-For", clientIp);
            using var response = await client.SendAsync(request);
            Assert.Contains(response.StatusCode, expected);
        }
        for (var i = 0; i < 25; i++)
        {
            var victim = $"leakcheck.victim{i:00}@leak-victims.example";
            var ip = $"198.18.{40 + i % 3}.{100 + i}";
            var refused = $"leakcheck.refused{i:00}@leak-victims.example\r\nBcc: x@leak-victims.example";
            secrets.AddRange([victim, ip, $"leakcheck.refused{i:00}"]);
            await ResetAsync(victim, ip, HttpStatusCode.Accepted, HttpStatusCode.TooManyRequests);
            await ResetAsync(refused, ip, HttpStatusCode.BadRequest, HttpStatusCode.TooManyRequests);
            await ResetAsync($"::ffff:{ip}", ip, HttpStatusCode.Accepted, HttpStatusCode.TooManyRequests);
        }
        await ResetAsync("alice@example.com", "198.18.60.1", HttpStatusCode.Accepted);
        await ResetAsync("acct-bob", "198.18.60.2", HttpStatusCode.Accepted);
        secrets.AddRange(["198.18.60.1", "198.18.60.2"]);

        // The emails' tokens, used once and then again (refused): neither use may log them.
        foreach (var file in await api.WaitForMailAsync(2))
        {
            var token = Eml.Read(file).Token;
            secrets.Add(token);
            secrets.Add(token[(token.IndexOf('.') + 1)..]);
            using (var first = await client.PostAsync(PasswordResetEndpoints.VerifyPath, Json(new { token }))) Assert.Equal(HttpStatusCode.OK, first.StatusCode);
            using (var again = await client.PostAsync(PasswordResetEndpoints.VerifyPath, Json(new { token }))) Assert.Equal(HttpStatusCode.BadRequest, again.StatusCode);
        }
        var metrics = await client.GetStringAsync("/metrics");

        Assert.True(logs.Count > 100, "the trace logger saw almost nothing: the test would prove nothing");
        var logText = logs.AllText;
        foreach (var secret in secrets)
        {
            Assert.DoesNotContain(secret, logText, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain(secret, metrics, StringComparison.OrdinalIgnoreCase);
        }
    }
}
