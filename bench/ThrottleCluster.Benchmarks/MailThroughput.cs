extern alias api;

using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using api::ThrottleCluster.Api.Hosting;
using api::ThrottleCluster.Api.Outbox;
using MailKit.Net.Smtp;
using MailKit.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using MimeKit;
using ThrottleCluster.Tests.Support;

namespace ThrottleCluster.Benchmarks;

/// <summary>
/// `mail`: reset emails per second one Api instance delivers to a real SMTP server (npm smtp-server,
/// STARTTLS and AUTH, on 127.0.0.1), against a raw MailKit loop on one reused connection measured
/// in the same run. The Api is the real host (embedded silo, memory outbox) built as Program builds
/// it; N jobs are queued at once and timed from the first enqueue until its dispatcher has sent
/// all of them (a token issued by the cluster's grain, the email composed, sent on the pool). The
/// raw loop builds an equal message each time and sends it. Rounds alternate raw and Api.
/// </summary>
public static class MailThroughput
{
    public static async Task<int> RunAsync(string[] args)
    {
        int emails = 2000, rounds = 3, connections = 2, concurrency = 4;
        string? output = null;
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--emails": emails = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--rounds": rounds = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--connections": connections = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--concurrency": concurrency = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--out": output = args[++i]; break;
                default: throw new ArgumentException($"unknown option '{args[i]}' (see BENCHMARKS.md)");
            }
        }
        if (emails is < 100 or > 100_000 || rounds is < 1 or > 10) throw new ArgumentException("--emails must be 100-100000 and --rounds 1-10.");

        await using var smtp = await SmtpTestServer.StartAsync();
        BenchReport.Log($"smtp-server on 127.0.0.1:{smtp.Port} (STARTTLS, AUTH)");
        var results = new JsonArray();
        var sent = 0;
        for (var round = 1; round <= rounds; round++)
        {
            var raw = await RawLoopAsync(smtp, emails);
            sent += emails + RawWarmUp;
            var viaApi = await ApiAsync(smtp, emails, connections, concurrency);
            sent += emails + WarmUp(concurrency);
            await smtp.WaitForMessagesAsync(sent, TimeSpan.FromSeconds(60));
            BenchReport.Log($"round {round}: raw MailKit {raw:0} emails/s, Api {viaApi:0} emails/s, ratio {viaApi / raw:0.00}x");
            results.Add(new JsonObject { ["round"] = round, ["rawPerSecond"] = Math.Round(raw), ["apiPerSecond"] = Math.Round(viaApi), ["ratio"] = Math.Round(viaApi / raw, 2) });
        }
        var received = smtp.Messages();
        if (received.Count != sent || received.Any(m => m.User != SmtpTestServer.User || !m.Secure))
            throw new InvalidOperationException($"the server holds {received.Count} messages, {sent} were sent, or some arrived without AUTH or TLS");
        await BenchReport.WriteAsync(new JsonObject
        {
            ["emails"] = emails, ["connections"] = connections, ["concurrency"] = concurrency, ["rounds"] = results,
        }, "mail", output);
        return 0;
    }

    private const int RawWarmUp = 100;

    /// <summary>Emails each Api instance sends before its clock starts.</summary>
    private static int WarmUp(int concurrency) => concurrency * 4;

    private static MimeMessage Message(int n)
    {
        var message = new MimeMessage();
        message.From.Add(MailboxAddress.Parse("no-reply@example.com"));
        message.To.Add(MailboxAddress.Parse($"user{n}@example.com"));
        message.Subject = "Reset your password";
        message.Headers.Add("Auto-Submitted", "auto-generated");
        message.Body = new TextPart("plain") { Text = new string('x', 420) + "\r\nhttps://app.example.com/reset?token=" + Guid.NewGuid().ToString("N") + "\r\n" };
        return message;
    }

    /// <summary>One connection, STARTTLS and AUTH once, then send after send.</summary>
    private static async Task<double> RawLoopAsync(SmtpTestServer smtp, int emails)
    {
        using var client = new SmtpClient { ServerCertificateValidationCallback = (_, certificate, _, _) => certificate?.GetCertHashString() == smtp.Certificate.Thumbprint };
        await client.ConnectAsync(IPAddress.Loopback.ToString(), smtp.Port, SecureSocketOptions.StartTls);
        await client.AuthenticateAsync(SmtpTestServer.User, SmtpTestServer.Password);
        // Warm, as the Api is: the same number of emails before the clock starts.
        for (var n = 0; n < RawWarmUp; n++) await client.SendAsync(Message(n));
        var clock = Stopwatch.StartNew();
        for (var n = 0; n < emails; n++) await client.SendAsync(Message(n));
        var perSecond = emails / clock.Elapsed.TotalSeconds;
        await client.DisconnectAsync(true);
        return perSecond;
    }

    /// <summary>An Api instance draining <paramref name="emails"/> queued jobs.</summary>
    private static async Task<double> ApiAsync(SmtpTestServer smtp, int emails, int connections, int concurrency)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Production", ContentRootPath = AppContext.BaseDirectory });
        var settings = smtp.ApiSettings();
        settings["Accounts:File"] = "accounts.sample.json";
        settings["Email:ResetUrlTemplate"] = "https://app.example.com/reset?token={token}";
        settings["Email:Smtp:From"] = "ThrottleCluster <no-reply@example.com>";
        settings["Email:Smtp:Connections"] = connections.ToString(CultureInfo.InvariantCulture);
        // As the test and bench hosts run it: a console line per email is not what is measured.
        settings["Logging:LogLevel:Default"] = "Warning";
        settings["Outbox:Concurrency"] = concurrency.ToString(CultureInfo.InvariantCulture);
        settings["Cluster:SiloPort"] = LoopbackPort.Free().ToString(CultureInfo.InvariantCulture);
        settings["Cluster:GatewayPort"] = LoopbackPort.Free().ToString(CultureInfo.InvariantCulture);
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
        builder.AddThrottleApi();
        await using var app = builder.Build();
        app.MapThrottleApi();
        await app.StartAsync();
        var outbox = app.Services.GetRequiredService<IOutbox>();
        var statistics = app.Services.GetRequiredService<OutboxStatistics>();
        // Warm: the token grain activated and the pool's connections open before the clock starts.
        for (var n = 0; n < WarmUp(concurrency); n++) await outbox.EnqueueAsync(ResetEmailJob.Create($"acct-warm-{n}", $"warm{n}@example.com", DateTimeOffset.UtcNow), default);
        while (statistics.Sent < WarmUp(concurrency)) await Task.Delay(10);
        var clock = Stopwatch.StartNew();
        for (var n = 0; n < emails; n++) await outbox.EnqueueAsync(ResetEmailJob.Create($"acct-{n % 1000}", $"user{n}@example.com", DateTimeOffset.UtcNow), default);
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(5);
        while (statistics.Sent < emails + WarmUp(concurrency))
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"the Api sent {statistics.Sent - WarmUp(concurrency)} of {emails} in 5 minutes");
            await Task.Delay(5);
        }
        var perSecond = emails / clock.Elapsed.TotalSeconds;
        await app.StopAsync();
        return perSecond;
    }
}
