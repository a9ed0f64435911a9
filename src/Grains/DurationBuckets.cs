namespace ThrottleCluster.Grains;

/// <summary>Histogram buckets of every duration the product measures, from 0.1 ms (a call on warm local grains) to 5 s (the cluster's response timeout).</summary>
public static class DurationBuckets
{
    public static readonly double[] Seconds = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5];
}
