using ThrottleCluster.Grains.Abstractions;

namespace ThrottleCluster.Grains;

/// <param name="Tat">The budget as a token bucket in GCRA form: its theoretical arrival time (microseconds of grain time).</param>
/// <param name="UncleanTat">The share sources without a clean record may use, as a second, slower bucket.</param>
/// <param name="Demand">Requests that reached the global grain over the last minute.</param>
/// <param name="TightenedUntil">The breaker is at least tightened until then.</param>
/// <param name="ShedUntil">The breaker sheds until then.</param>
public sealed record GlobalState(long Tat, long UncleanTat, SlidingCount Demand, long TightenedUntil, long ShedUntil);


/// <summary>
/// The global grain (key: <see cref="GrainKinds.GlobalKey"/>): a service-wide email budget metered
/// as a token bucket (<see cref="GlobalPolicy.PerMinute"/> spread evenly over the minute, at most
/// <see cref="GlobalPolicy.Burst"/> at once), and a surge breaker. Metering rather than counting per
/// minute matters in a flood: a per-minute count lets the flood spend a whole minute's budget in its
/// first second, before the sources have lost their clean record, and legitimate users then wait for
/// the next minute. Demand above <see cref="GlobalPolicy.TightenAt"/> times the budget tightens
/// (sources without a clean record may use only <see cref="GlobalPolicy.TightenedUncleanShare"/> of it),
/// above <see cref="GlobalPolicy.ShedAt"/> sheds them; clean sources keep the whole budget in every
/// stage, so nobody is locked out. Each stage holds for <see cref="GlobalPolicy.Hold"/> after the
/// demand that set it and steps down by itself, via tightened.
/// While tightened, unclean grants also leave <see cref="GlobalPolicy.CleanReserve"/> of the bucket
/// to clean sources, so a flood of unclean sources takes only what legitimate demand does not use.
/// In either stage a clean source's new request is on <see cref="GlobalPolicy.Probation"/>: looked at
/// again later, when a flood's fresh source has asked for its next accounts and lost its clean record,
/// and a user's has not; a later look whose source has lost its clean record is shed. Demand counts
/// new requests only: later looks are requests already counted.
/// </summary>
public static class GlobalLogic
{
    private const long Minute = 60, MicrosPerMinute = 60_000_000;
    private const byte Version = 2;
    private static readonly BudgetResult Done = new(true, Rule.None, Rule.None, null);

    public static GlobalState Initial { get; } = new(0, 0, default, 0, 0);

    public static (GlobalState State, BudgetResult Result) Apply(GlobalPolicy policy, GlobalState state, GlobalCommand command, DateTimeOffset now) =>
        command switch
        {
            GlobalCommand.Reserve reserve => Reserve(policy, state, reserve.CleanSource, reserve.Look, now),
            GlobalCommand.Release release => (Release(policy, state, release.Receipt), Done),
            _ => throw new ArgumentException($"Unknown global command {command.GetType().Name}.", nameof(command)),
        };

    public static SurgeStage Stage(GlobalState state, DateTimeOffset now)
    {
        var t = GrainTime.Seconds(now);
        return t < state.ShedUntil ? SurgeStage.Shed : t < state.TightenedUntil ? SurgeStage.Tightened : SurgeStage.Normal;
    }

    public static TimeSpan TimeToLive(GlobalPolicy policy, GlobalState state, DateTimeOffset now)
    {
        // A bucket whose arrival time has passed is full, which is where a fresh state starts.
        ReadOnlySpan<long> until = [Seconds(state.Tat), Seconds(state.UncleanTat), state.Demand.Expires(Minute), state.TightenedUntil, state.ShedUntil];
        return GrainTime.UntilLatest(until, now);
    }

    public static byte[] Serialize(GlobalState state) =>
        new StateWriter(Version).U64((ulong)state.Tat).U64((ulong)state.UncleanTat).Count(state.Demand).U32(state.TightenedUntil).U32(state.ShedUntil).ToArray();

    public static GlobalState Deserialize(ReadOnlyMemory<byte> bytes)
    {
        var reader = new StateReader(bytes.Span, GrainKinds.Global, Version);
        var state = new GlobalState((long)reader.U64(), (long)reader.U64(), reader.Count(), reader.U32(), reader.U32());
        reader.End();
        return state;
    }

    private static (GlobalState, BudgetResult) Reserve(GlobalPolicy policy, GlobalState state, bool clean, int look, DateTimeOffset now)
    {
        var t = GrainTime.Seconds(now);
        var micros = GrainTime.Microseconds(now);
        var demand = look == 0 ? state.Demand.At(t, Minute).Add() : state.Demand.At(t, Minute);
        var hold = GrainTime.Seconds(policy.Hold);
        var rate = demand.Estimate(t, Minute);
        var shed = rate >= policy.ShedAt * policy.PerMinute ? Math.Max(state.ShedUntil, t + hold) : state.ShedUntil;
        var tightened = rate >= policy.TightenAt * policy.PerMinute ? Math.Max(state.TightenedUntil, t + hold) : state.TightenedUntil;
        // Leaving shed passes through tightened.
        if (shed > 0) tightened = Math.Max(tightened, shed + hold);
        var next = state with { Demand = demand, TightenedUntil = tightened, ShedUntil = shed };

        var budget = Bucket.Budget(policy);
        var share = Bucket.UncleanShare(policy);
        var surge = t < shed || t < tightened;
        var denied = budget.Admits(state.Tat, micros) ? Rule.None : Rule.Budget;
        // A later look was granted for a clean record: a source that lost it since is shed in every stage.
        if (!clean && (look > 0 || t < shed || t < tightened && !(share.Admits(state.UncleanTat, micros) && budget.Admits(state.Tat, micros, policy.CleanReserve))))
            denied |= Rule.Surge;
        if (clean && surge && look == 0 && policy.Probation > TimeSpan.Zero) denied |= Rule.Probation;
        var enforced = denied & ~policy.Shadow;
        if (enforced != Rule.None)
            return (next, new BudgetResult(false, enforced, denied & policy.Shadow, null, LookAgainAfter(policy, clean, enforced, look)));
        // Unclean grants draw on the share in every stage, so a surge starts from what they used just before it.
        next = next with { Tat = budget.Take(state.Tat, micros), UncleanTat = clean ? state.UncleanTat : share.Take(state.UncleanTat, micros) };
        return (next, new BudgetResult(true, Rule.None, denied, new Receipt(now, Clean: clean)));
    }

    // Probation asks for a later look of its own; with the budget spent too, the longer of the two waits.
    private static TimeSpan LookAgainAfter(GlobalPolicy policy, bool clean, Rule enforced, int look)
    {
        if ((enforced & Rule.Probation) == Rule.None) return policy.LookAgain.For(clean, enforced, look);
        var budget = enforced & ~Rule.Probation;
        if (budget == Rule.None) return policy.Probation;
        var again = policy.LookAgain.For(clean, budget, look);
        return again > policy.Probation ? again : again > TimeSpan.Zero ? policy.Probation : TimeSpan.Zero;
    }

    private static GlobalState Release(GlobalPolicy policy, GlobalState state, Receipt receipt) => state with
    {
        Tat = Bucket.Budget(policy).Refund(state.Tat),
        UncleanTat = receipt.Clean ? state.UncleanTat : Bucket.UncleanShare(policy).Refund(state.UncleanTat),
    };

    private static long Seconds(long micros) => (micros + 999_999) / 1_000_000;

    /// <summary>A token bucket as GCRA: one token per <paramref name="Interval"/>, a full bucket holds <paramref name="Size"/>.</summary>
    private readonly record struct Bucket(long Interval, long Size)
    {
        public static Bucket Budget(GlobalPolicy policy) => new(MicrosPerMinute / policy.PerMinute, policy.BurstSize);

        // A share of zero never admits: an interval of a whole day with a bucket of nothing.
        public static Bucket UncleanShare(GlobalPolicy policy) => policy.TightenedUncleanShare <= 0
            ? new(MicrosPerMinute * 60 * 24, 0)
            : new((long)(MicrosPerMinute / (policy.PerMinute * policy.TightenedUncleanShare)), Math.Max(1, (long)(policy.BurstSize * policy.TightenedUncleanShare)));

        public bool Admits(long tat, long now) => Size > 0 && Math.Max(tat, now) - now <= (Size - 1) * Interval;

        /// <summary>Admits, and leaves at least <paramref name="reserve"/> of the bucket's size in it.</summary>
        public bool Admits(long tat, long now, double reserve) =>
            Math.Max(tat, now) - now <= (long)((Size * (1 - reserve) - 1) * Interval);

        // Never more than a full bucket of debt: grants taken while the bucket was not enforced
        // (an unclean share outside a surge) must not lock it for longer than refilling it takes.
        public long Take(long tat, long now) => Math.Min(Math.Max(tat, now) + Interval, now + Size * Interval);

        public long Refund(long tat) => Math.Max(0, tat - Interval);
    }
}
