using System.Globalization;

namespace ThrottleCluster.Tests.Support;

/// <summary>Values read from a host's <c>/metrics</c> page (Prometheus text format).</summary>
public static class PrometheusText
{
    /// <summary>The value of one series, named with its labels as the page writes them (e.g. <c>tc_outbox_jobs{state="dead"}</c>); null when absent.</summary>
    public static double? Value(string page, string series)
    {
        foreach (var line in page.Split('\n'))
        {
            if (line.StartsWith(series + " ", StringComparison.Ordinal))
                return double.Parse(line[(series.Length + 1)..], CultureInfo.InvariantCulture);
        }
        return null;
    }

    /// <summary>The sum of every series of <paramref name="metric"/> whose labels contain <paramref name="label"/> (e.g. <c>mode="open"</c>).</summary>
    public static double Sum(string page, string metric, string label)
        => page.Split('\n')
            .Where(l => l.StartsWith(metric + "{", StringComparison.Ordinal) && l.Contains(label, StringComparison.Ordinal))
            .Sum(l => double.Parse(l[(l.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture));
}
