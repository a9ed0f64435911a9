using System.Diagnostics;
using System.Globalization;
using System.Net;
using ThrottleCluster.EndToEnd.Tests.Support;
using Xunit.Abstractions;

namespace ThrottleCluster.EndToEnd.Tests;

/// <summary>
/// How long POST /v1/password-resets takes for an existing account (an email is queued), a missing
/// account and a suppressed request, measured through the whole cluster. Printed for BENCHMARKS.md;
/// nothing about time is asserted, only that each kind really got the verdict it stands for.
/// </summary>
[Collection(EndToEndCollection.Name)]
public sealed class ResetTimingTests(EndToEndCluster cluster, ITestOutputHelper output)
{
    private const int Warmup = 20;
    private const int Measured = EndToEndCluster.BenchAccountCount - Warmup;

    [Fact]
    public async Task Latency_of_existing_missing_and_suppressed_requests()
    {
        var kinds = new[] { "existing", "missing", "suppressed" };
        var samples = kinds.ToDictionary(k => k, _ => new List<double>(Measured));
        var verdicts = kinds.ToDictionary(k => k, _ => new Dictionary<string, int>());
        byte[]? body = null;
        var clock = Stopwatch.StartNew();

        // Interleaved, one request at a time, each from a source of its own: the three kinds see
        // the same machine, the same background (the dispatcher sending the emails) and no source
        // throttling. "suppressed" asks again for the account "existing" has just sent to.
        for (var i = 0; i < EndToEndCluster.BenchAccountCount; i++)
        {
            var measure = i >= Warmup;
            var account = EndToEndCluster.BenchEmail(i);
            await TimeAsync("existing", account);
            await TimeAsync("missing", $"nobody{i}@m{i}.bench.example");
            await TimeAsync("suppressed", account);

            async Task TimeAsync(string kind, string login)
            {
                var ip = cluster.NextClientIp();
                var before = await cluster.Decisions.TakeAsync();
                var started = Stopwatch.GetTimestamp();
                using var response = await cluster.RequestResetAsync(login, ip);
                var content = await response.Content.ReadAsByteArrayAsync();
                var elapsed = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
                body ??= content;
                Assert.Equal(body, content);
                if (!measure) return;
                samples[kind].Add(elapsed);
                var verdict = (await cluster.Decisions.TakeAsync()).Since(before);
                verdicts[kind][verdict] = verdicts[kind].GetValueOrDefault(verdict) + 1;
            }
        }
        var requestsTook = clock.Elapsed;

        output.WriteLine($"POST /v1/password-resets through the Api (an Orleans client) -> 2 silo processes -> Garnet, {Measured} requests per kind after {Warmup} of each to warm up,");
        output.WriteLine($"sequential and interleaved, each from its own /24; {Environment.ProcessorCount} cores; {requestsTook.TotalSeconds:0.0} s for all {3 * EndToEndCluster.BenchAccountCount}.");
        output.WriteLine($"{"kind",-11} {"n",4} {"median ms",10} {"p90 ms",8} {"p99 ms",8} {"mean ms",8}   verdicts");
        foreach (var kind in kinds)
        {
            var sorted = samples[kind].Order().ToArray();
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{kind,-11} {sorted.Length,4} {Percentile(sorted, 0.5),10:0.00} {Percentile(sorted, 0.9),8:0.00} {Percentile(sorted, 0.99),8:0.00} {sorted.Average(),8:0.00}   {string.Join(", ", verdicts[kind].Select(v => $"{v.Key} {v.Value}"))}"));
        }

        // What the numbers stand for: every existing account got an email, every repeat was suppressed.
        Assert.Equal(new Dictionary<string, int> { ["Send"] = Measured }, verdicts["existing"]);
        Assert.Equal(new Dictionary<string, int> { ["Suppress"] = Measured }, verdicts["suppressed"]);

        // Leave the cluster as found: the emails are out before the next test starts.
        var drain = Stopwatch.StartNew();
        await cluster.WaitForOutboxDrainedAsync(TimeSpan.FromSeconds(60));
        output.WriteLine($"outbox drained {drain.Elapsed.TotalSeconds:0.0} s after the last request");
        var bench = Enumerable.Range(0, EndToEndCluster.BenchAccountCount).Select(EndToEndCluster.BenchEmail).ToHashSet(StringComparer.OrdinalIgnoreCase);
        var sent = cluster.Smtp.Messages().SelectMany(m => m.To).Where(bench.Contains).ToList();
        Assert.Equal(bench.Count, sent.Count);          // one email per account,
        Assert.Equal(bench.Count, sent.Distinct().Count()); // none twice
    }

    /// <summary>Nearest rank.</summary>
    private static double Percentile(double[] sorted, double p) => sorted[Math.Max(0, (int)Math.Ceiling(p * sorted.Length) - 1)];
}
