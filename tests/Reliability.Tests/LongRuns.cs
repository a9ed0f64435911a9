namespace ThrottleCluster.Reliability.Tests;

/// <summary>
/// Faults whose tests take a minute or more each and are covered in the test command in a smaller
/// way (two activations at once in process in Cluster.Tests, the store's outages here): they run
/// with <c>scripts/reliability-long.sh</c>, not in <c>scripts/test.sh</c>, which keeps the test
/// command within its time.
/// </summary>
public static class LongRuns
{
    public const string Trait = "Run";
    public const string Value = "Long";
}
