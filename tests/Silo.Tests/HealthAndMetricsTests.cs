using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using ThrottleCluster.Silo.Tests.Support;

namespace ThrottleCluster.Silo.Tests;

/// <summary>
/// The metrics listener sees every ThrottleCluster meter in the process, so with two hosts alive at
/// once one host's page would hold the other's series too. These tests run alone.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class MetricsCollection
{
    public const string Name = "metrics, alone in the process";
}

[Collection(MetricsCollection.Name)]
public sealed partial class HealthAndMetricsTests
{
    [Fact]
    public async Task Healthz_reports_grain_storage_ok()
    {
        await using var silo = new SiloFactory();
        using var client = silo.CreateSiloClient();
        using var response = await client.GetAsync("/healthz");
        var health = await Http.OkJsonAsync(response);
        Assert.Equal("ok", health.GetProperty("status").GetString());
        Assert.Equal(["grain storage", "membership"], health.GetProperty("checks").EnumerateArray().Select(c => c.GetString()));
        using var ready = await client.GetAsync("/healthz/ready");
        Assert.Equal(health.ToString(), (await Http.OkJsonAsync(ready)).ToString());
        using var live = await client.GetAsync("/healthz/live");
        var liveness = await Http.OkJsonAsync(live);
        Assert.Equal("ok", liveness.GetProperty("status").GetString());
        Assert.Empty(liveness.GetProperty("checks").EnumerateArray());
    }

    [Fact]
    public async Task Metrics_count_decisions_by_verdict_in_valid_Prometheus_text_without_emails_or_addresses()
    {
        await using var silo = new SiloFactory();
        using var client = silo.CreateSiloClient();
        string[] secrets = ["ivan@example.com", "ivan", "example.com", "203.0.113.70", "203.0.113.0", "2001:db8:70::1", "2001:db8:70"];
        var verdicts = new Dictionary<string, int> { ["Send"] = 0, ["Suppress"] = 0, ["RejectSource"] = 0 };
        async Task<string> DecideAsync(string ip, string login)
        {
            var verdict = (await client.DecisionAsync(ip, login)).Verdict();
            verdicts[verdict]++;
            return verdict;
        }
        Assert.Equal("Send", await DecideAsync("203.0.113.70", "ivan@example.com"));
        Assert.Equal("Suppress", await DecideAsync("203.0.113.70", "ivan@example.com"));
        Assert.Equal("Send", await DecideAsync("2001:db8:70::1", "judy@example.org"));
        for (var i = 0; i < 9; i++) await DecideAsync("203.0.113.70", $"u{i}@example.net");
        Assert.Equal("RejectSource", await DecideAsync("203.0.113.70", "ivan@example.com"));
        using (var check = await client.GetAsync("/v1/gateway/check", peer: "203.0.113.70"))
            Assert.Equal(HttpStatusCode.TooManyRequests, check.StatusCode);
        using (var bad = await client.DecideAsync("203.0.113.70", "@example.com")) Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);

        using var response = await client.GetAsync("/metrics");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("version=0.0.4", response.Content.Headers.ContentType!.ToString());
        var text = await response.Content.ReadAsStringAsync();

        var families = ParsePrometheus(text);
        const string decisions = "otel_scope_name=\"ThrottleCluster.Decisions\",";
        Assert.Equal(verdicts["Send"], Sample(families, "tc_decisions_total", decisions + "verdict=\"Send\""));
        Assert.Equal(verdicts["Suppress"], Sample(families, "tc_decisions_total", decisions + "verdict=\"Suppress\""));
        Assert.Equal(verdicts["RejectSource"] + 1, Sample(families, "tc_decisions_total", decisions + "verdict=\"RejectSource\"")); // and the gateway check
        Assert.Equal("counter", families["tc_decisions_total"].Type);
        Assert.Equal("histogram", families["tc_decision_duration_seconds"].Type);
        var decided = verdicts.Values.Sum() + 1;
        Assert.Equal(verdicts["Send"], Sample(families, "tc_decision_duration_seconds_count", decisions + "verdict=\"Send\""));
        Assert.Equal(decided, families["tc_decision_duration_seconds"].Samples.Where(s => s.Name == "tc_decision_duration_seconds_count").Sum(s => s.Value));
        Assert.True(Sample(families, "tc_decision_rules_total", decisions + "mode=\"enforced\",rule=\"Cooldown\",scope=\"account\"") >= 1, text);
        Assert.True(Sample(families, "tc_decision_rules_total", decisions + "mode=\"enforced\",rule=\"Burst\",scope=\"ip\"") >= 2, text);
        Assert.Equal("gauge", families["tc_global_breaker_stage"].Type);
        // Every write is timed: as many write durations as batches written, for each kind.
        Assert.Equal("histogram", families["tc_grain_write_duration_seconds"].Type);
        foreach (var kind in new[] { "ip", "network", "domain", "global", "account" })
        {
            var grains = "otel_scope_name=\"ThrottleCluster.Grains\",";
            var writes = Sample(families, "tc_grain_batch_size_count", $"{grains}kind=\"{kind}\"");
            Assert.True(writes >= 1, kind);
            Assert.Equal(writes, Sample(families, "tc_grain_write_duration_seconds_count", $"{grains}kind=\"{kind}\""));
        }
        // Orleans' own meters beside the product's.
        Assert.Equal("counter", families["orleans_catalog_activation_created_total"].Type);
        Assert.Equal("histogram", families["orleans_app_requests_latency_seconds"].Type);

        foreach (var secret in secrets) Assert.DoesNotContain(secret, text);
        foreach (var (_, family) in families)
        {
            foreach (var (_, labels, _) in family.Samples)
            {
                Assert.DoesNotMatch(@"@|\d+\.\d+\.\d+\.\d+|[0-9a-f]{1,4}:[0-9a-f]{0,4}:", labels);
            }
        }
    }

    [Fact]
    public async Task Metrics_and_healthz_need_no_key_and_ignore_query_and_headers()
    {
        await using var silo = new SiloFactory();
        using var client = silo.CreateSiloClient();
        foreach (var path in new[] { "/metrics?name[]=x&format=json", "/healthz?probe=%00" })
        {
            using var response = await client.GetAsync(path, apiKey: "wrong", headers: [("Accept", "application/json"), ("X-Forwarded-For", "garbage")]);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
    }

    private sealed record Family(string Type, List<(string Name, string Labels, double Value)> Samples);

    /// <summary>
    /// Parses the Prometheus text exposition format strictly: HELP and TYPE at most once per family,
    /// TYPE before its samples, every sample of a declared family, label syntax, numeric values,
    /// no sample series twice, a final newline.
    /// </summary>
    private static Dictionary<string, Family> ParsePrometheus(string text)
    {
        Assert.EndsWith("\n", text);
        var families = new Dictionary<string, Family>(StringComparer.Ordinal);
        var helps = new HashSet<string>(StringComparer.Ordinal);
        var series = new HashSet<string>(StringComparer.Ordinal);
        foreach (var line in text[..^1].Split('\n'))
        {
            if (line.StartsWith("# HELP ", StringComparison.Ordinal))
            {
                var name = line["# HELP ".Length..].Split(' ')[0];
                Assert.Matches(MetricName(), name);
                Assert.True(helps.Add(name), $"two HELP lines for {name}");
                continue;
            }
            if (line.StartsWith("# TYPE ", StringComparison.Ordinal))
            {
                var parts = line.Split(' ');
                Assert.Equal(4, parts.Length);
                Assert.Matches(MetricName(), parts[2]);
                Assert.Contains(parts[3], new[] { "counter", "gauge", "histogram", "summary", "untyped" });
                Assert.False(families.ContainsKey(parts[2]), $"two TYPE lines for {parts[2]}:\n{text}");
                families[parts[2]] = new Family(parts[3], []);
                continue;
            }
            Assert.False(line.StartsWith('#'), $"unknown comment line: {line}");
            var match = SampleLine().Match(line);
            Assert.True(match.Success, $"not a sample line: '{line}'");
            var (sample, labels, value) = (match.Groups["name"].Value, match.Groups["labels"].Value, match.Groups["value"].Value);
            var family = families.Keys.FirstOrDefault(f => sample == f || families[f].Type == "histogram" && sample is var s && (s == f + "_bucket" || s == f + "_sum" || s == f + "_count"));
            Assert.True(family is not null, $"sample {sample} before or without its TYPE line");
            Assert.True(series.Add(sample + "{" + labels + "}"), $"series {sample}{{{labels}}} twice");
            Assert.True(double.TryParse(value, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var number) || value is "+Inf" or "-Inf" or "NaN", $"bad value in '{line}'");
            families[family!].Samples.Add((sample, labels, number));
        }
        return families;
    }

    private static double Sample(Dictionary<string, Family> families, string name, string labels)
    {
        var family = families.TryGetValue(name, out var exact) ? exact : families[name[..name.LastIndexOf('_')]];
        return Assert.Single(family.Samples, s => s.Name == name && s.Labels == labels).Value;
    }

    [GeneratedRegex("^[a-zA-Z_:][a-zA-Z0-9_:]*$")]
    private static partial Regex MetricName();

    [GeneratedRegex("""^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?<labels>[a-zA-Z_][a-zA-Z0-9_]*="(\\.|[^"\\])*"(,[a-zA-Z_][a-zA-Z0-9_]*="(\\.|[^"\\])*")*)\})? (?<value>\S+)$""")]
    private static partial Regex SampleLine();
}
