using ThrottleCluster.Grains.Abstractions;

namespace ThrottleCluster.Grains;

/// <param name="Minute">Emails granted over the last minute.</param>
/// <param name="Unclean">Of those, granted to sources without a clean record.</param>
/// <param name="Baseline">Emails per minute in thousandths, exponentially weighted over <see cref="DomainPolicy.BaselineWindow"/>.</param>
public sealed record DomainState(SlidingCount Minute, SlidingCount Unclean, long Baseline, ListMode Listing, long ListedUntil);

/// <summary>
/// The domain grain (key: <see cref="ThrottleKeys.Domain"/>): a per-minute budget of
/// <see cref="DomainPolicy.SpikeFactor"/> times the domain's own baseline, within floor and ceiling.
/// The baseline learns from emails granted, not from demand, so a flood can raise it only slowly;
/// sources without a clean record get only <see cref="DomainPolicy.UncleanShare"/> of the budget.
/// Clean sources have at least <see cref="DomainPolicy.CleanFloor"/> (a share of the global budget):
/// a baseline takes an hour to learn, and a domain with none (a fresh start, a domain that suddenly
/// matters) would otherwise hold its real users to the floor while the global budget sits unused.
/// </summary>
public static class DomainLogic
{
    private const long Minute = 60, Milli = 1000;
    private const byte Version = 1;
    private static readonly BudgetResult Done = new(true, Rule.None, Rule.None, null);

    public static DomainState Initial { get; } = new(default, default, 0, ListMode.None, 0);

    /// <param name="policy">The domain policy, and the global budget its clean floor is a share of.</param>
    public static (DomainState State, BudgetResult Result) Apply(ThrottlePolicy policy, DomainState state, DomainCommand command, DateTimeOffset now)
    {
        var t = GrainTime.Seconds(now);
        switch (command)
        {
            case DomainCommand.Reserve reserve:
                return Reserve(policy.Domain, policy.Domain.CleanFloor(policy.Global), state, reserve.CleanSource, reserve.Look, t);
            case DomainCommand.Release { Receipt: var receipt }:
                var at = GrainTime.Seconds(receipt.At);
                return (state with
                {
                    Minute = state.Minute.Remove(at, Minute),
                    Unclean = receipt.Clean ? state.Unclean : state.Unclean.Remove(at, Minute),
                }, Done);
            case DomainCommand.SetListing set:
                var (mode, until) = Listings.From(set.Listing, t);
                return (state with { Listing = mode, ListedUntil = until }, Done);
            default:
                throw new ArgumentException($"Unknown domain command {command.GetType().Name}.", nameof(command));
        }
    }

    /// <summary>Until the counts have slid out and the baseline has decayed to where the floor decides alone.</summary>
    public static TimeSpan TimeToLive(DomainPolicy policy, DomainState state, DateTimeOffset now)
    {
        var minutes = BaselineMinutes(policy);
        var baseline = Fold(state.Baseline, state.Minute.Current, minutes);
        var settled = state.Minute.Start + Minute;
        for (; Budget(policy, baseline) > policy.Floor; settled += Minute) baseline = Decay(baseline, minutes);
        var until = Math.Max(Math.Max(state.Minute.Expires(Minute), state.Unclean.Expires(Minute)), settled);
        return GrainTime.Until(Math.Max(until, Listings.Expires(state.Listing, state.ListedUntil)), now);
    }

    public static byte[] Serialize(DomainState state) =>
        new StateWriter(Version).Count(state.Minute).Count(state.Unclean).U32(state.Baseline).Listing(state.Listing, state.ListedUntil).ToArray();

    public static DomainState Deserialize(ReadOnlyMemory<byte> bytes)
    {
        var reader = new StateReader(bytes.Span, GrainKinds.Domain, Version);
        var (minute, unclean, baseline) = (reader.Count(), reader.Count(), reader.U32());
        var (mode, until) = reader.Listing();
        reader.End();
        return new DomainState(minute, unclean, baseline, mode, until);
    }

    /// <summary>The per-minute budget for a baseline.</summary>
    public static long Budget(DomainPolicy policy, long baseline) =>
        (long)Math.Clamp(Math.Ceiling(policy.SpikeFactor * baseline / Milli), policy.Floor, policy.Ceiling);

    private static (DomainState, BudgetResult) Reserve(DomainPolicy policy, long cleanFloor, DomainState state, bool clean, int look, long t)
    {
        var minute = state.Minute.At(t, Minute);
        var unclean = state.Unclean.At(t, Minute);
        var baseline = state.Baseline;
        if (minute.Start != state.Minute.Start)
        {
            var minutes = BaselineMinutes(policy);
            baseline = Fold(baseline, state.Minute.Current, minutes);
            for (var m = state.Minute.Start + Minute; m < minute.Start && baseline > 0; m += Minute) baseline = Decay(baseline, minutes);
        }
        var rolled = state with { Minute = minute, Unclean = unclean, Baseline = baseline };

        var listing = Listings.Active(state.Listing, state.ListedUntil, t);
        if (listing == ListMode.Allow) return (rolled, Done);
        var denied = listing == ListMode.Block ? Rule.Blocked : Rule.None;
        var budget = Budget(policy, baseline);
        if (!minute.Fits(t, Minute, clean ? Math.Max(budget, cleanFloor) : budget)) denied |= Rule.Budget;
        if (!clean && !unclean.Fits(t, Minute, (long)(budget * policy.UncleanShare))) denied |= Rule.Surge;
        var enforced = denied & ~policy.Shadow;
        if (enforced != Rule.None) return (rolled, new BudgetResult(false, enforced, denied & policy.Shadow, null, policy.LookAgain.For(clean, enforced, look)));
        var granted = rolled with { Minute = minute.Add(), Unclean = clean ? unclean : unclean.Add() };
        return (granted, new BudgetResult(true, Rule.None, denied, new Receipt(GrainTime.ToTime(t), Clean: clean)));
    }

    private static long BaselineMinutes(DomainPolicy policy) => (long)policy.BaselineWindow.TotalMinutes;

    // One finished minute of `count` emails enters the weighted mean.
    private static long Fold(long baseline, long count, long minutes) =>
        Math.Min(uint.MaxValue, baseline + (count * Milli - baseline) / minutes);

    // An empty minute; rounds up so the baseline reaches zero.
    private static long Decay(long baseline, long minutes) => baseline - (baseline + minutes - 1) / minutes;
}
