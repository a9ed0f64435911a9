using ThrottleCluster.Grains.Abstractions;

namespace ThrottleCluster.Benchmarks;

/// <summary>
/// The decisions the `load` and `decisions` verbs send: every one for a new account, on one of
/// <see cref="Domains"/> domains, from one of <see cref="Sources"/> addresses (each its own /24) in
/// turn. Under <see cref="BenchPolicy.Open"/> every decision is the full granted path; once the
/// warm-up has touched every source and domain, each decision activates exactly one new grain, its
/// account, as a flood's decisions do. With a population of <c>accounts</c> (> 0) the account is
/// drawn from that many instead (pseudo-randomly, the same sequence every run), so the store and the
/// silo hold a population of that size and accounts come back.
/// </summary>
public static class DecisionStream
{
    public const int Sources = 2_000;
    public const int Domains = 1_000;

    public static (string ClientIp, string Login) Next(long i, long accounts = 0)
    {
        var k = i % Sources;
        var account = Account(i, accounts);
        return ($"10.{k / 256}.{k % 256}.1", $"u{account}@d{account % Domains}.example");
    }

    /// <summary>The account number of decision <paramref name="i"/> (its login is <c>u{number}@...</c>).</summary>
    public static long Account(long i, long accounts) => accounts > 0 ? (long)(Mix((ulong)i) % (ulong)accounts) : i;

    // splitmix64's finalizer: every i maps to a well-spread 64-bit value.
    private static ulong Mix(ulong x)
    {
        x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9UL;
        x = (x ^ (x >> 27)) * 0x94d049bb133111ebUL;
        return x ^ (x >> 31);
    }

    public static ResetAttempt Attempt(string prefix, long i)
    {
        var (ip, login) = Next(i);
        return new ResetAttempt($"{prefix}{i}", ip, login, login[(login.IndexOf('@') + 1)..]);
    }
}
