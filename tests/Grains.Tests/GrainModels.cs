using FsCheck;
using FsCheck.Fluent;
using ThrottleCluster.Grains.Abstractions;

namespace ThrottleCluster.Grains.Tests;

/// <summary>One generated step of a grain's history: which command, an argument, and how far the clock moves first.</summary>
public sealed record Op(int Command, int Arg, int Step);

/// <summary>A grain kind as plain functions, plus how to turn generated ops into its commands.</summary>
public sealed record GrainModel<TState, TCommand, TResult>(
    string Kind,
    TState Initial,
    Func<TState, TCommand, DateTimeOffset, (TState State, TResult Result)> Apply,
    Func<TState, DateTimeOffset, TimeSpan> TimeToLive,
    Func<TState, byte[]> Serialize,
    Func<ReadOnlyMemory<byte>, TState> Deserialize,
    Func<Op, DateTimeOffset, Receipt?, TCommand> Command,
    Func<TResult, Receipt?> ReceiptOf,
    TCommand[] Probes,
    TimeSpan Horizon)
{
    /// <summary>Results of the probe commands applied one after another at <paramref name="now"/>.</summary>
    public IEnumerable<TResult> Probe(TState state, DateTimeOffset now)
    {
        foreach (var probe in Probes)
        {
            (state, var result) = Apply(state, probe, now);
            yield return result;
        }
    }

    /// <summary>States and times along a history, starting from the initial state.</summary>
    public IEnumerable<(TState State, DateTimeOffset Now)> Run(Op[] ops)
    {
        var (state, now, receipt) = (Initial, GrainModels.T0, (Receipt?)null);
        foreach (var op in ops)
        {
            now += TimeSpan.FromSeconds(op.Step);
            (state, var result) = Apply(state, Command(op, now, receipt), now);
            receipt = ReceiptOf(result) ?? receipt;
            yield return (state, now);
        }
    }
}

public static class GrainModels
{
    public static readonly DateTimeOffset T0 = new(2026, 1, 10, 12, 0, 0, TimeSpan.Zero);

    /// <summary>Mostly seconds to minutes apart, sometimes hours, now and then days.</summary>
    public static Gen<int> Step { get; } = Gen.Frequency((6, Gen.Choose(0, 120)), (3, Gen.Choose(0, 7200)), (1, Gen.Choose(0, 2 * 86400)));

    public static Arbitrary<Op[]> Histories { get; } =
        (from command in Gen.Choose(0, 19) from arg in Gen.Choose(0, 39) from step in Step select new Op(command, arg, step))
        .ArrayOf().ToArbitrary();

    public static ulong AccountHash(int i) => ThrottleKeys.AccountHash($"user{i}@example.com", 7);

    private static Listing ListingOf(Op op, DateTimeOffset now) => new((ListMode)(op.Arg % 3), now.AddMinutes(op.Arg * 5));

    // Commands 0-15 are the hot-path request, the rest the rarer ones. Probes are what a caller does next:
    // enough to reveal a cooldown, a remembered offence, a learned baseline or a surge stage.
    public static GrainModel<AccountState, AccountCommand, AccountResult> Account(AccountPolicy policy) => new(
        GrainKinds.Account, AccountLogic.Initial,
        (s, c, n) => AccountLogic.Apply(policy, s, c, n), (s, n) => AccountLogic.TimeToLive(policy, s, n),
        AccountLogic.Serialize, AccountLogic.Deserialize,
        (op, now, _) => op.Command switch
        {
            < 16 => new AccountCommand.Request(),
            < 19 => new AccountCommand.Redeemed(),
            _ => new AccountCommand.SetListing(ListingOf(op, now)),
        },
        _ => null, [new AccountCommand.Request(), new AccountCommand.Request()], TimeSpan.FromDays(1) + TimeSpan.FromHours(4));

    public static GrainModel<SourceState, SourceCommand, SourceResult> Source(SourcePolicy policy) => new(
        GrainKinds.Ip, SourceLogic.Initial,
        (s, c, n) => SourceLogic.Apply(policy, s, c, n), (s, n) => SourceLogic.TimeToLive(policy, s, n),
        SourceLogic.Serialize, SourceLogic.Deserialize,
        (op, now, receipt) => op.Command switch
        {
            < 16 => new SourceCommand.Reserve(AccountHash(op.Arg)),
            < 19 when receipt is not null => new SourceCommand.Release(receipt),
            < 19 => new SourceCommand.Reserve(AccountHash(op.Arg)),
            _ => new SourceCommand.SetListing(ListingOf(op, now)),
        },
        r => r.Receipt, [.. Enumerable.Range(100, 40).Select(i => new SourceCommand.Reserve(AccountHash(i)))], policy.MaxBlock + policy.OffenceMemory + TimeSpan.FromDays(2));

    public static GrainModel<DomainState, DomainCommand, BudgetResult> Domain(DomainPolicy policy) => new(
        GrainKinds.Domain, DomainLogic.Initial,
        (s, c, n) => DomainLogic.Apply(new ThrottlePolicy { Domain = policy }, s, c, n), (s, n) => DomainLogic.TimeToLive(policy, s, n),
        DomainLogic.Serialize, DomainLogic.Deserialize,
        (op, now, receipt) => op.Command switch
        {
            < 16 => new DomainCommand.Reserve(op.Arg % 2 == 0),
            < 19 when receipt is not null => new DomainCommand.Release(receipt),
            < 19 => new DomainCommand.Reserve(true),
            _ => new DomainCommand.SetListing(ListingOf(op, now)),
        },
        r => r.Receipt, [.. Enumerable.Repeat(new DomainCommand.Reserve(false), 20)], TimeSpan.FromDays(1));

    public static GrainModel<GlobalState, GlobalCommand, BudgetResult> Global(GlobalPolicy policy) => new(
        GrainKinds.Global, GlobalLogic.Initial,
        (s, c, n) => GlobalLogic.Apply(policy, s, c, n), (s, n) => GlobalLogic.TimeToLive(policy, s, n),
        GlobalLogic.Serialize, GlobalLogic.Deserialize,
        (op, _, receipt) => op.Command switch
        {
            < 19 when op.Command >= 16 && receipt is not null => new GlobalCommand.Release(receipt),
            _ => new GlobalCommand.Reserve(op.Arg % 2 == 0),
        },
        r => r.Receipt, [.. Enumerable.Repeat(new GlobalCommand.Reserve(false), 10)], 2 * policy.Hold + TimeSpan.FromMinutes(2));
}
