using ThrottleCluster.Reliability.Tests.Support;
using ThrottleCluster.Runtime.Testing;
using Xunit.Abstractions;

namespace ThrottleCluster.Reliability.Tests;

/// <summary>
/// Silos are killed (SIGKILL) and restarted while the Api takes steady reset traffic. What must
/// hold: no account gets more email than its policy allows, every email that reached the SMTP
/// server is backed by a send the account grain persisted in Garnet, and no request hangs.
/// </summary>
public sealed class SiloKillTests(ITestOutputHelper output)
{
    private const int Accounts = 12;
    private const int PerHour = 3;
    private const int Kills = 3;

    // A short, fixed cooldown and no token rule: every account can earn its whole hourly quota
    // within the run, so the cap is reached and tested rather than never approached.
    private static readonly Dictionary<string, string> Policy = new()
    {
        ["Throttle:Account:Cooldown"] = "00:00:01",
        ["Throttle:Account:MaxCooldown"] = "00:00:01",
        ["Throttle:Account:TokenLifetime"] = "00:00:00",
        ["Throttle:Account:PerHour"] = PerHour.ToString(),
        ["Throttle:Account:PerDay"] = PerHour.ToString(),
    };

    [Fact]
    public async Task Killing_silos_under_load_never_sends_more_than_the_policy_nor_an_email_without_a_persisted_decision()
    {
        await using var garnet = await GarnetServer.StartAsync();
        await using var smtp = await SmtpSink.StartAsync();
        await using var cluster = await ProductCluster.StartAsync(garnet.ConnectionString, siloCount: 3, Policy, smtp, accounts: Accounts);
        var traffic = new ResetTraffic(cluster.ApiAddress, clientTimeout: TimeSpan.FromSeconds(10));

        using var stop = new CancellationTokenSource();
        var load = traffic.RunAsync(Accounts, workers: 4, pause: TimeSpan.FromMilliseconds(40), stop.Token);
        var started = DateTime.UtcNow;
        for (var kill = 0; kill < Kills; kill++)
        {
            await Task.Delay(TimeSpan.FromSeconds(2));
            var victim = cluster.Silos[kill % cluster.Silos.Count];
            victim.Kill();
            await Task.Delay(TimeSpan.FromSeconds(1));
            await victim.RestartAsync(ProductHosts.StartupTimeout);
        }
        await Task.Delay(TimeSpan.FromSeconds(2));
        await stop.CancelAsync();
        await load;
        var duration = DateTime.UtcNow - started;
        var emails = await SettledAsync(smtp);
        var counts = traffic.Snapshot();

        using var ledger = new AccountLedger(garnet.ConnectionString);
        var perAccount = smtp.PerRecipient();
        var rows = new List<(string Email, int Received, int Persisted)>();
        for (var i = 0; i < Accounts; i++)
        {
            var email = ProductCluster.Email(i);
            rows.Add((email, perAccount.GetValueOrDefault(email), await ledger.SendsAsync(email)));
        }

        output.WriteLine($"silo kill: {Kills} SIGKILLs + restarts of 3 silos in {duration.TotalSeconds:0.0} s; {counts}; " +
                         $"{emails} emails for {Accounts} accounts (max per account {rows.Max(r => r.Received)}, policy {PerHour}); " +
                         $"persisted sends {rows.Sum(r => r.Persisted)}");
        Assert.Equal(0, counts.TimedOut);
        Assert.Equal(0, counts.Other);
        Assert.True(counts.Accepted > 0, $"No reset was accepted: {counts}");
        Assert.True(emails > 0, "No email reached the SMTP server: the run tested nothing.");
        Assert.Equal(emails, rows.Sum(r => r.Received)); // every email went to one of the accounts
        Assert.All(rows, r => Assert.True(r.Received <= PerHour, $"{r.Email} got {r.Received} emails; the policy allows {PerHour} per hour."));
        Assert.All(rows, r => Assert.True(r.Received <= r.Persisted, $"{r.Email} got {r.Received} emails but its grain persisted only {r.Persisted} sends."));
    }

    /// <summary>Waits until the outbox has delivered what it will: no new email for a second.</summary>
    private static async Task<int> SettledAsync(SmtpSink smtp)
    {
        var last = -1;
        for (var waited = 0; waited < 30 && smtp.Total != last; waited++)
        {
            last = smtp.Total;
            await Task.Delay(TimeSpan.FromSeconds(1));
        }
        return smtp.Total;
    }
}
