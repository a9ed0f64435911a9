using ThrottleCluster.Grains.Abstractions;

namespace ThrottleCluster.Grains;

/// <param name="Granted">Emails granted over the last minute.</param>
/// <param name="Unclean">Of those, granted to sources without a clean record.</param>
/// <param name="Demand">Requests that reached the global grain over the last minute.</param>
/// <param name="TightenedUntil">The breaker is at least tightened until then.</param>
/// <param name="ShedUntil">The breaker sheds until then.</param>
public sealed record GlobalState(SlidingCount Granted, SlidingCount Unclean, SlidingCount Demand, long TightenedUntil, long ShedUntil);

public enum SurgeStage { Normal, Tightened, Shed }

/// <summary>
/// The global grain (key: <see cref="GrainKinds.GlobalKey"/>): a service-wide budget per minute and
/// a surge breaker. Demand above <see cref="GlobalPolicy.TightenAt"/> times the budget tightens (sources
/// without a clean record may use only a share of it), above <see cref="GlobalPolicy.ShedAt"/> sheds them;
/// clean sources keep the whole budget in every stage, so nobody is locked out. Each stage holds for
/// <see cref="GlobalPolicy.Hold"/> after the demand that set it and steps down by itself, via tightened.
/// </summary>
public static class GlobalGrain
{
    private const long Minute = 60;
    private const byte Version = 1;
    private static readonly BudgetResult Done = new(true, Rule.None, Rule.None, null);

    public static GlobalState Initial { get; } = new(default, default, default, 0, 0);

    public static (GlobalState State, BudgetResult Result) Apply(GlobalPolicy policy, GlobalState state, GlobalCommand command, DateTimeOffset now)
    {
        var t = GrainTime.Seconds(now);
        return command switch
        {
            GlobalCommand.Reserve reserve => Reserve(policy, state, reserve.CleanSource, t),
            GlobalCommand.Release release => (Release(state, release.Receipt), Done),
            _ => throw new ArgumentException($"Unknown global command {command.GetType().Name}.", nameof(command)),
        };
    }

    public static SurgeStage Stage(GlobalState state, DateTimeOffset now)
    {
        var t = GrainTime.Seconds(now);
        return t < state.ShedUntil ? SurgeStage.Shed : t < state.TightenedUntil ? SurgeStage.Tightened : SurgeStage.Normal;
    }

    public static TimeSpan TimeToLive(GlobalPolicy policy, GlobalState state, DateTimeOffset now)
    {
        long[] until = [state.Granted.Expires(Minute), state.Unclean.Expires(Minute), state.Demand.Expires(Minute), state.TightenedUntil, state.ShedUntil];
        return GrainTime.Until(until.Max(), now);
    }

    public static byte[] Serialize(GlobalState state) =>
        new StateWriter(Version).Count(state.Granted).Count(state.Unclean).Count(state.Demand).U32(state.TightenedUntil).U32(state.ShedUntil).ToArray();

    public static GlobalState Deserialize(ReadOnlyMemory<byte> bytes)
    {
        var reader = new StateReader(bytes.Span, GrainKinds.Global, Version);
        var state = new GlobalState(reader.Count(), reader.Count(), reader.Count(), reader.U32(), reader.U32());
        reader.End();
        return state;
    }

    private static (GlobalState, BudgetResult) Reserve(GlobalPolicy policy, GlobalState state, bool clean, long t)
    {
        var granted = state.Granted.At(t, Minute);
        var unclean = state.Unclean.At(t, Minute);
        var demand = state.Demand.At(t, Minute).Add();
        var hold = GrainTime.Seconds(policy.Hold);
        var rate = demand.Estimate(t, Minute);
        var shed = rate >= policy.ShedAt * policy.PerMinute ? Math.Max(state.ShedUntil, t + hold) : state.ShedUntil;
        var tightened = rate >= policy.TightenAt * policy.PerMinute ? Math.Max(state.TightenedUntil, t + hold) : state.TightenedUntil;
        // Leaving shed passes through tightened.
        if (shed > 0) tightened = Math.Max(tightened, shed + hold);
        var next = new GlobalState(granted, unclean, demand, tightened, shed);

        var denied = granted.Fits(t, Minute, policy.PerMinute) ? Rule.None : Rule.Budget;
        var uncleanShare = (long)(policy.PerMinute * policy.TightenedUncleanShare);
        if (!clean && (t < shed || t < tightened && !unclean.Fits(t, Minute, uncleanShare))) denied |= Rule.Surge;
        var enforced = denied & ~policy.Shadow;
        if (enforced != Rule.None) return (next, new BudgetResult(false, enforced, denied & policy.Shadow, null));
        next = next with { Granted = granted.Add(), Unclean = clean ? unclean : unclean.Add() };
        return (next, new BudgetResult(true, Rule.None, denied, new Receipt(GrainTime.ToTime(t), Clean: clean)));
    }

    private static GlobalState Release(GlobalState state, Receipt receipt)
    {
        var at = GrainTime.Seconds(receipt.At);
        return state with
        {
            Granted = state.Granted.Remove(at, Minute),
            Unclean = receipt.Clean ? state.Unclean : state.Unclean.Remove(at, Minute),
        };
    }
}
