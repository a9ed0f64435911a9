using System.Collections.Immutable;
using ThrottleCluster.Grains.Abstractions;

namespace ThrottleCluster.Grains;

/// <param name="Sends">Grain seconds of the emails sent within the last day, oldest first; at most <see cref="AccountPolicy.PerDay"/>.</param>
/// <param name="Strikes">Requests refused during the current cooldown; each doubles it.</param>
/// <param name="Redeemed">The token of the last email was used.</param>
public sealed record AccountState(ImmutableArray<long> Sends, int Strikes, bool Redeemed, ListMode Listing, long ListedUntil)
{
    public bool Equals(AccountState? other) =>
        other is not null && Sends.SequenceEqual(other.Sends) && Strikes == other.Strikes &&
        Redeemed == other.Redeemed && Listing == other.Listing && ListedUntil == other.ListedUntil;

    public override int GetHashCode() => HashCode.Combine(Sends.Length, Strikes, Redeemed, Listing, ListedUntil);
}

/// <summary>
/// The account grain (key: <see cref="ThrottleKeys.Account"/>). It only ever answers send or
/// suppress: requests never lock an account, and every cooldown ends at most
/// <see cref="AccountPolicy.MaxCooldown"/> after the last email.
/// </summary>
public static class AccountLogic
{
    private const long Hour = 3600, Day = 86400;
    private const byte Version = 1;
    private static readonly AccountResult Done = new(true, Rule.None, Rule.None);

    public static AccountState Initial { get; } = new([], 0, false, ListMode.None, 0);

    public static (AccountState State, AccountResult Result) Apply(AccountPolicy policy, AccountState state, AccountCommand command, DateTimeOffset now)
    {
        var t = GrainTime.Seconds(now);
        switch (command)
        {
            case AccountCommand.Request:
                return Request(policy, state, t);
            case AccountCommand.Redeemed:
                return (state.Sends.IsEmpty ? state : state with { Redeemed = true }, Done);
            case AccountCommand.SetListing set:
                var (mode, until) = Listings.From(set.Listing, t);
                return (state with { Listing = mode, ListedUntil = until }, Done);
            default:
                throw new ArgumentException($"Unknown account command {command.GetType().Name}.", nameof(command));
        }
    }

    public static TimeSpan TimeToLive(AccountPolicy policy, AccountState state, DateTimeOffset now)
    {
        // The daily window outlasts the cooldown and the token lifetime (both validated to at most a day).
        var until = state.Sends.IsEmpty ? 0 : state.Sends[^1] + Day;
        return GrainTime.Until(Math.Max(until, Listings.Expires(state.Listing, state.ListedUntil)), now);
    }

    public static byte[] Serialize(AccountState state)
    {
        var writer = new StateWriter(Version).U8(state.Sends.Length);
        foreach (var send in state.Sends) writer.U32(send);
        return writer.U8(state.Strikes).U8(state.Redeemed ? 1 : 0).Listing(state.Listing, state.ListedUntil).ToArray();
    }

    public static AccountState Deserialize(ReadOnlyMemory<byte> bytes)
    {
        var reader = new StateReader(bytes.Span, GrainKinds.Account, Version);
        var sends = ImmutableArray.CreateBuilder<long>(reader.U8());
        for (var i = 0; i < sends.Capacity; i++)
        {
            var send = reader.U32();
            if (i > 0 && send < sends[^1]) throw reader.Corrupt("send times are out of order");
            sends.Add(send);
        }
        var strikes = reader.U8();
        var redeemed = reader.U8();
        if (redeemed > 1) throw reader.Corrupt($"redeemed flag {redeemed} is not 0 or 1");
        var (mode, until) = reader.Listing();
        reader.End();
        return new AccountState(sends.MoveToImmutable(), strikes, redeemed == 1, mode, until);
    }

    private static (AccountState, AccountResult) Request(AccountPolicy policy, AccountState state, long t)
    {
        var sends = state.Sends.RemoveAll(send => t - send >= Day);
        var cooldown = Cooldown(policy, state.Strikes);
        var listing = Listings.Active(state.Listing, state.ListedUntil, t);
        var denied = listing == ListMode.Block ? Rule.Blocked : Rule.None;
        if (!sends.IsEmpty)
        {
            var last = sends[^1];
            if (t - last < cooldown) denied |= Rule.Cooldown;
            if (!state.Redeemed && t - last < GrainTime.Seconds(policy.TokenLifetime)) denied |= Rule.TokenOutstanding;
        }
        if (sends.Count(send => t - send < Hour) >= policy.PerHour) denied |= Rule.Hourly;
        if (sends.Length >= policy.PerDay) denied |= Rule.Daily;
        if (listing == ListMode.Allow) denied = Rule.None;

        var enforced = denied & ~policy.Shadow;
        var result = new AccountResult(enforced == Rule.None, enforced, denied & policy.Shadow);
        if (enforced != Rule.None)
        {
            var escalate = (enforced & Rule.Cooldown) != 0 && cooldown < GrainTime.Seconds(policy.MaxCooldown);
            return (state with { Sends = sends, Strikes = state.Strikes + (escalate ? 1 : 0) }, result);
        }
        // A clock behind the last send must not let the next cooldown start earlier.
        sends = sends.Add(sends.IsEmpty ? t : Math.Max(t, sends[^1]));
        if (sends.Length > policy.PerDay) sends = sends.RemoveRange(0, sends.Length - policy.PerDay);
        return (state with { Sends = sends, Strikes = 0, Redeemed = false }, result);
    }

    private static long Cooldown(AccountPolicy policy, int strikes) =>
        Math.Min(GrainTime.Seconds(policy.Cooldown) << Math.Min(strikes, 32), GrainTime.Seconds(policy.MaxCooldown));
}
