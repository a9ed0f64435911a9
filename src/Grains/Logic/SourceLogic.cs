using ThrottleCluster.Grains.Abstractions;

namespace ThrottleCluster.Grains;

/// <param name="Tat">Token bucket as a theoretical arrival time (GCRA): the bucket is full once it is in the past.</param>
/// <param name="Day">Requests granted over the last day.</param>
/// <param name="Accounts">Distinct accounts asked for over <see cref="SourcePolicy.DistinctWindow"/>.</param>
/// <param name="Offences">Enumeration blocks in a row, for the escalating block length.</param>
/// <param name="LastDenied">Last refused request, for the clean-record test.</param>
public sealed record SourceState(
    long Tat,
    SlidingCount Day,
    DistinctSketch Accounts,
    long BlockedUntil,
    int Offences,
    long LastDenied,
    ListMode Listing,
    long ListedUntil);

/// <summary>
/// The ip and network grains (keys: <see cref="ThrottleKeys.Ip"/>, <see cref="ThrottleKeys.Network"/>);
/// the same logic with the ip or the network policy. They count requests, not emails: a source
/// pays for asking whether or not an email goes out.
/// </summary>
public static class SourceLogic
{
    private const long DaySeconds = 86400;
    private const byte Version = 1;
    private static readonly SourceResult Done = new(true, Rule.None, Rule.None, TimeSpan.Zero, false, ListMode.None, null);

    public static SourceState Initial { get; } = new(0, default, default, 0, 0, 0, ListMode.None, 0);

    public static (SourceState State, SourceResult Result) Apply(SourcePolicy policy, SourceState state, SourceCommand command, DateTimeOffset now)
    {
        var t = GrainTime.Seconds(now);
        switch (command)
        {
            case SourceCommand.Reserve reserve:
                return Reserve(policy, state, reserve.AccountHash, t);
            case SourceCommand.Peek:
                return (state, Peek(policy, state, t));
            case SourceCommand.Release release:
                return (Release(policy, state, release.Receipt), Done);
            case SourceCommand.SetListing set:
                var (mode, until) = Listings.From(set.Listing, t);
                return (state with { Listing = mode, ListedUntil = until }, Done);
            default:
                throw new ArgumentException($"Unknown source command {command.GetType().Name}.", nameof(command));
        }
    }

    public static TimeSpan TimeToLive(SourcePolicy policy, SourceState state, DateTimeOffset now)
    {
        var window = GrainTime.Seconds(policy.DistinctWindow);
        ReadOnlySpan<long> until =
        [
            state.Tat,
            state.Day.Expires(DaySeconds),
            state.Accounts.Expires(window),
            state.LastDenied == 0 ? 0 : state.LastDenied + window,
            state.Offences == 0 ? state.BlockedUntil : state.BlockedUntil + GrainTime.Seconds(policy.OffenceMemory),
            Listings.Expires(state.Listing, state.ListedUntil),
        ];
        return GrainTime.UntilLatest(until, now);
    }

    public static byte[] Serialize(SourceState state) =>
        new StateWriter(Version)
            .U32(state.Tat).Count(state.Day).Sketch(state.Accounts)
            .U32(state.BlockedUntil).U8(state.Offences).U32(state.LastDenied)
            .Listing(state.Listing, state.ListedUntil)
            .ToArray();

    public static SourceState Deserialize(ReadOnlyMemory<byte> bytes)
    {
        var reader = new StateReader(bytes.Span, "source", Version);
        var state = new SourceState(reader.U32(), reader.Count(), reader.Sketch(), reader.U32(), reader.U8(), reader.U32(), default, 0);
        var (mode, until) = reader.Listing();
        reader.End();
        return state with { Listing = mode, ListedUntil = until };
    }

    private static (SourceState, SourceResult) Reserve(SourcePolicy policy, SourceState state, ulong accountHash, long t)
    {
        var listing = Listings.Active(state.Listing, state.ListedUntil, t);
        if (listing == ListMode.Allow) return (state, new SourceResult(true, Rule.None, Rule.None, TimeSpan.Zero, true, listing, null));

        var interval = GrainTime.Seconds(policy.RefillInterval);
        var window = GrainTime.Seconds(policy.DistinctWindow);
        var blocked = t < state.BlockedUntil;
        var (accounts, newBit) = state.Accounts.At(t, window).Add(accountHash);
        var tat = Math.Max(state.Tat, t);
        var tolerance = (policy.Burst - 1) * interval;
        var day = state.Day.At(t, DaySeconds);
        var offences = state.Offences > 0 && t < state.BlockedUntil + GrainTime.Seconds(policy.OffenceMemory) ? Math.Min(state.Offences + 1, 32) : 1;

        var denied = Rule.None;
        var retry = 0L;
        void Deny(Rule rule, long seconds)
        {
            denied |= rule;
            if ((rule & policy.Shadow) == Rule.None) retry = Math.Max(retry, seconds);
        }
        if (listing == ListMode.Block) Deny(Rule.Blocked, state.ListedUntil - t);
        if (blocked) Deny(Rule.Enumeration, state.BlockedUntil - t);
        else if (accounts.Estimate(t, window) > policy.DistinctAccounts) Deny(Rule.Enumeration, BlockLength(policy, offences));
        if (tat - t > tolerance) Deny(Rule.Burst, tat - tolerance - t);
        if (!day.Fits(t, DaySeconds, policy.PerDay)) Deny(Rule.Daily, day.WaitUntilFits(t, DaySeconds, policy.PerDay));

        var enforced = denied & ~policy.Shadow;
        if (enforced == Rule.None)
        {
            var clean = accounts.Estimate(t, window) <= policy.CleanDistinct && t - state.LastDenied >= window;
            var granted = state with { Tat = tat + interval, Day = day.Add(), Accounts = accounts };
            return (granted, new SourceResult(true, Rule.None, denied, TimeSpan.Zero, clean, listing, new Receipt(GrainTime.ToTime(t), newBit)));
        }

        var refused = state with { Day = day, LastDenied = Math.Max(state.LastDenied, t) };
        if ((enforced & Rule.Enumeration) == Rule.None)
            refused = refused with { Accounts = accounts };
        else if (!blocked)
            // The evidence is acted on: after the block the source starts from an empty sketch, and a
            // repeat offence within the offence memory doubles the block.
            refused = refused with { Accounts = default, BlockedUntil = t + BlockLength(policy, offences), Offences = offences };
        // While blocked, what the source asks for is not observed, so the block can end cleanly.
        var result = new SourceResult(false, enforced, denied & policy.Shadow, TimeSpan.FromSeconds(Math.Max(1, retry)), false, listing, null);
        return (refused, result);
    }

    private static SourceResult Peek(SourcePolicy policy, SourceState state, long t)
    {
        var listing = Listings.Active(state.Listing, state.ListedUntil, t);
        if (listing == ListMode.Allow) return new SourceResult(true, Rule.None, Rule.None, TimeSpan.Zero, true, listing, null);
        var blocked = (listing == ListMode.Block ? Rule.Blocked : Rule.None) | (t < state.BlockedUntil ? Rule.Enumeration : Rule.None);
        var enforced = blocked & ~policy.Shadow;
        var window = GrainTime.Seconds(policy.DistinctWindow);
        var clean = enforced == Rule.None && state.Accounts.At(t, window).Estimate(t, window) <= policy.CleanDistinct && t - state.LastDenied >= window;
        return new SourceResult(enforced == Rule.None, enforced, blocked & policy.Shadow, TimeSpan.Zero, clean, listing, null);
    }

    private static SourceState Release(SourcePolicy policy, SourceState state, Receipt receipt)
    {
        var at = GrainTime.Seconds(receipt.At);
        var accounts = receipt.Bit < 0 ? state.Accounts : state.Accounts.Remove(at, receipt.Bit, GrainTime.Seconds(policy.DistinctWindow));
        return state with
        {
            Tat = Math.Max(0, state.Tat - GrainTime.Seconds(policy.RefillInterval)),
            Day = state.Day.Remove(at, DaySeconds),
            Accounts = accounts,
        };
    }

    private static long BlockLength(SourcePolicy policy, int offences) =>
        Math.Min(GrainTime.Seconds(policy.BlockFor) << (offences - 1), GrainTime.Seconds(policy.MaxBlock));
}
