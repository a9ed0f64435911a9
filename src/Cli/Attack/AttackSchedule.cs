namespace ThrottleCluster.Cli.Attack;

/// <summary>Who asks for which account from where, as a pure function of the request's index.</summary>
/// <remarks>
/// Attack accounts a{i}@d{i % D}.example (i &lt; M) and legitimate accounts l{j}@d{j % D}.example
/// are disjoint, so every email to an a-account went to someone who never asked. Any number of
/// workers can share the schedule: block b holds LegitEvery attack requests, then legitimate user
/// b's first ask, then (for some users) user b-1's second ask: a user who asks again a block later.
/// Attack requests are rounded up to whole blocks.
/// </remarks>
public sealed class AttackSchedule
{
    public enum Kind : byte { Attack, LegitFirst, LegitSecond }

    private readonly AttackOptions _o;
    // starts[b] = index of block b's first op; the last element is the total number of ops.
    private readonly long[]? _blockStarts;

    public AttackSchedule(AttackOptions o)
    {
        _o = o;
        if (o.LegitEvery > 0) _blockStarts = BuildBlocks();
    }

    /// <summary>Legitimate users: one per block.</summary>
    public long Blocks => _o.LegitEvery > 0 ? (_o.Requests + _o.LegitEvery - 1) / _o.LegitEvery : 0;

    public long Total => _blockStarts is { } starts ? starts[^1] : _o.Requests;

    public (Kind Kind, int Account, string Source) Op(long i)
    {
        if (_blockStarts is { } starts)
        {
            var b = Array.BinarySearch(starts, i);
            if (b < 0) b = ~b - 1;
            var offset = i - starts[b];
            if (offset == _o.LegitEvery) return (Kind.LegitFirst, b, LegitSource(b));
            if (offset == _o.LegitEvery + 1) return (Kind.LegitSecond, b - 1, LegitSource(b - 1));
            i = (long)b * _o.LegitEvery + offset;
        }
        var account = (int)(i % _o.Accounts);
        return (Kind.Attack, account, AttackSource(i));
    }

    /// <summary>Whether a legitimate user asks a second time: a fixed hash of the user, so every run asks the same.</summary>
    internal static bool AsksTwice(long user, double share) => (uint)(user * 2654435761L) / (double)uint.MaxValue < share;

    private long[] BuildBlocks()
    {
        var blocks = Blocks;
        var starts = new long[blocks + 1];
        long pos = 0;
        for (var b = 0; b < blocks; b++)
        {
            starts[b] = pos;
            pos += _o.LegitEvery + 1 + (b > 0 && AsksTwice(b - 1, _o.LegitTwice) ? 1 : 0);
        }
        starts[blocks] = pos;
        return starts;
    }

    private string AttackSource(long i)
    {
        switch (_o.Scenario)
        {
            case "single": return "198.51.100.7";
            case "slow":
                {
                    // Every source asks for at most 3 accounts (it keeps a clean record) and every
                    // network holds 10 such sources (30 accounts: the network's clean limit too).
                    var s = i / 3;
                    return Address(s, 10);
                }
            default: return Address(i % _o.Sources, _o.SourcesPerPrefix);
        }
    }

    // Even sources IPv4 (10.x.y.h: /24 = 10.x.y), odd IPv6 (2001:db8:nnnn:hhhh::1: /48 per network, /64 per host).
    internal static string Address(long s, int perPrefix)
    {
        var family = s % 2; var idx = s / 2;
        var net = idx / perPrefix; var host = idx % perPrefix;
        return family == 0
            ? $"10.{(net >> 8) & 255}.{net & 255}.{host + 1}"
            : $"2001:db8:{net & 0x7fff:x}:{host:x}::1";
    }

    // Each legitimate user from its own clean /24 or /48.
    internal static string LegitSource(int j) => j % 2 == 0
        ? $"100.{64 + ((j >> 9) & 63)}.{(j >> 1) & 255}.1"
        : $"2001:db8:{0x8000 + (j & 0x7fff):x}::1";
}
