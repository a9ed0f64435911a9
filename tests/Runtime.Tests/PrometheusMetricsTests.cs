using System.Diagnostics.Metrics;
using ThrottleCluster.Runtime.Hosting;

namespace ThrottleCluster.Runtime.Tests;

public sealed class PrometheusMetricsTests
{
    [Fact]
    public void Instruments_of_one_name_from_two_hosts_in_one_process_are_one_family()
    {
        var prefix = $"ThrottleCluster.Test{Guid.NewGuid():N}";
        using var metrics = new PrometheusMetrics(prefix);
        using var first = new Meter(prefix);
        using var second = new Meter(prefix);
        first.CreateCounter<long>("tc.test.calls", description: "calls").Add(2, new KeyValuePair<string, object?>("kind", "a"));
        second.CreateCounter<long>("tc.test.calls", description: "calls").Add(3, new KeyValuePair<string, object?>("kind", "a"));
        second.CreateHistogram<double>("tc.test.duration", "ms").Record(4);
        first.CreateHistogram<double>("tc.test.duration", "ms").Record(0.2);

        var lines = metrics.Render().Split('\n');

        Assert.Single(lines, l => l.StartsWith("# HELP tc_test_calls_total", StringComparison.Ordinal));
        Assert.Single(lines, l => l.StartsWith("# TYPE tc_test_duration_milliseconds", StringComparison.Ordinal));
        Assert.Contains("tc_test_calls_total{kind=\"a\"} 5", lines);
        Assert.Contains("tc_test_duration_milliseconds_count 2", lines);
    }
}
