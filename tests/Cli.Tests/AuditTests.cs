using ThrottleCluster.Cli.Tests.Support;
using ThrottleCluster.Tests.Support;

namespace ThrottleCluster.Cli.Tests;

/// <summary><c>audit tail</c>: rejected decisions appear with the silo's hashed keys, never the raw address.</summary>
public sealed class AuditTests(SiloFixture silo) : IClassFixture<SiloFixture>
{
    [Fact]
    public async Task Audit_tail_shows_a_rejected_decision_with_hashed_keys()
    {
        const string ip = "203.0.113.51";
        await silo.OkAsync("block", "ip", ip, "--for", "10m");
        var decision = await silo.DecideAsync(ip, "audited51@example.com");
        var requestId = decision.GetProperty("requestId").GetString()!;

        var tail = await silo.OkAsync("audit", "tail", "--hours", "2");
        var line = Assert.Single(tail.Split('\n'), l => l.Contains(requestId));
        Assert.Contains(" Decision ", line);
        Assert.Contains("verdict=RejectSource", line);
        Assert.Contains("denied.ip=Blocked", line);
        Assert.Contains($"keys.ip={silo.AuditKeyOfIp(ip)}", line);
        Assert.Contains("keys.domain=example.com", line);
        Assert.DoesNotContain(ip, tail);
        Assert.DoesNotContain("audited51", tail);
        Assert.StartsWith($"# silo {silo.SiloAddress}: ", tail);
    }

    [Fact]
    public async Task Audit_tail_follow_prints_entries_as_they_happen_until_cancelled()
    {
        const string ip = "203.0.113.52";
        await silo.OkAsync("block", "ip", ip, "--for", "10m");
        using var output = new StringWriter();
        var shared = TextWriter.Synchronized(output);
        using var error = new StringWriter();
        using var stop = new CancellationTokenSource();
        var follow = Throttlectl.RunAsync(["audit", "tail", "--follow", .. silo.Connection], new CliIo(shared, error, _ => null), stop.Token);

        // Wait until the first poll has been printed, so the decision is new to the follower.
        await Eventually.HoldsAsync(() => Following() && Printed().Contains("# silo "), "the follower printed its first poll");
        var requestId = (await silo.DecideAsync(ip, "followed52@example.com")).GetProperty("requestId").GetString()!;
        await Eventually.HoldsAsync(() => Following() && Printed().Contains(requestId), "the follower printed the new decision");

        stop.Cancel();
        Assert.Equal(ExitCodes.Ok, await follow);
        Assert.Equal("", error.ToString());
        Assert.Single(Printed().Split('\n'), l => l.Contains(requestId));

        // The synchronized writer locks itself while writing.
        string Printed()
        {
            lock (shared) return output.ToString();
        }

        bool Following()
        {
            Assert.False(follow.IsCompleted, $"follow ended by itself with exit {(follow.IsCompleted ? follow.Result : -1)}: {error}");
            return true;
        }
    }
}
