using ThrottleCluster.Grains.Abstractions;

namespace ThrottleCluster.Benchmarks;

/// <summary>
/// The decisions the `load` and `decisions` verbs send: every one for a new account, on one of
/// <see cref="Domains"/> domains, from one of <see cref="Sources"/> addresses (each its own /24) in
/// turn. Under <see cref="BenchPolicy.Open"/> every decision is the full granted path; once the
/// warm-up has touched every source and domain, each decision activates exactly one new grain, its
/// account, as a flood's decisions do.
/// </summary>
public static class DecisionStream
{
    public const int Sources = 2_000;
    public const int Domains = 1_000;

    public static (string ClientIp, string Login) Next(long i)
    {
        var k = i % Sources;
        return ($"10.{k / 256}.{k % 256}.1", $"u{i}@d{i % Domains}.example");
    }

    public static ResetAttempt Attempt(string prefix, long i)
    {
        var (ip, login) = Next(i);
        return new ResetAttempt($"{prefix}{i}", ip, login, login[(login.IndexOf('@') + 1)..]);
    }
}
