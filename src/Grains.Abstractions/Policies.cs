using System.Globalization;
using System.Text.Json.Serialization;

namespace ThrottleCluster.Grains.Abstractions;

// Policies are bound from configuration (section "Throttle") by the host and validated at start-up.
// Defaults and their sources: docs/POLICIES.md. Durations are whole seconds: grain state keeps time
// in seconds.

/// <summary>All throttling policies.</summary>
public sealed record ThrottlePolicy
{
    public AccountPolicy Account { get; init; } = new();
    public SourcePolicy Ip { get; init; } = new();
    public SourcePolicy Network { get; init; } = SourcePolicy.NetworkDefaults;
    public DomainPolicy Domain { get; init; } = new();
    public GlobalPolicy Global { get; init; } = new();

    /// <exception cref="ArgumentException">A value is out of range; the message names its configuration path.</exception>
    public void Validate(string section = "Throttle")
    {
        Account.Validate($"{section}:Account");
        Ip.Validate($"{section}:Ip");
        Network.Validate($"{section}:Network");
        Domain.Validate($"{section}:Domain");
        Global.Validate($"{section}:Global");
    }
}

/// <summary>Per account: a few emails, spaced out, never a lock-out.</summary>
public sealed record AccountPolicy
{
    /// <summary>Minimum time between two emails; doubles for each request made during it.</summary>
    public TimeSpan Cooldown { get; init; } = TimeSpan.FromSeconds(60);
    /// <summary>Cap of the escalated cooldown, counted from the last email, so a cooldown always ends.</summary>
    public TimeSpan MaxCooldown { get; init; } = TimeSpan.FromHours(1);
    public int PerHour { get; init; } = 5;
    public int PerDay { get; init; } = 10;
    /// <summary>While the token sent last is this young and unused, a new request sends nothing.</summary>
    public TimeSpan TokenLifetime { get; init; } = TimeSpan.FromMinutes(15);
    /// <summary>Rules decided and reported but not enforced.</summary>
    public Rule Shadow { get; init; }

    public const Rule Rules = Rule.Blocked | Rule.Cooldown | Rule.TokenOutstanding | Rule.Hourly | Rule.Daily;

    /// <summary>The account keeps four bytes per email of the last day: this keeps its stored state under 200 bytes.</summary>
    public const int MaxPerDay = 40;

    public void Validate(string section = "Throttle:Account")
    {
        var check = new PolicyCheck(section);
        check.Duration(nameof(Cooldown), Cooldown, TimeSpan.FromSeconds(1), TimeSpan.FromDays(1));
        check.Duration(nameof(MaxCooldown), MaxCooldown, Cooldown, TimeSpan.FromDays(1));
        check.Range(nameof(PerDay), PerDay, 1, MaxPerDay);
        check.Range(nameof(PerHour), PerHour, 1, PerDay);
        check.Duration(nameof(TokenLifetime), TokenLifetime, TimeSpan.Zero, TimeSpan.FromDays(1));
        check.Shadow(Shadow, Rules);
    }
}

/// <summary>Per IP (IPv4 /32, IPv6 /64) or network (IPv4 /24, IPv6 /48).</summary>
public sealed record SourcePolicy
{
    /// <summary>Token bucket size.</summary>
    public int Burst { get; init; } = 10;
    /// <summary>One token comes back per interval.</summary>
    public TimeSpan RefillInterval { get; init; } = TimeSpan.FromMinutes(1);
    public int PerDay { get; init; } = 100;
    /// <summary>More distinct accounts than this within <see cref="DistinctWindow"/> is enumeration: block.</summary>
    public int DistinctAccounts { get; init; } = 20;
    public TimeSpan DistinctWindow { get; init; } = TimeSpan.FromHours(1);
    /// <summary>First enumeration block; doubles for each repeat offence.</summary>
    public TimeSpan BlockFor { get; init; } = TimeSpan.FromHours(1);
    public TimeSpan MaxBlock { get; init; } = TimeSpan.FromHours(24);
    /// <summary>An offence this long after the previous block ended starts again at <see cref="BlockFor"/>.</summary>
    public TimeSpan OffenceMemory { get; init; } = TimeSpan.FromHours(24);
    /// <summary>
    /// At most this many distinct accounts (and no throttling within the window) is a clean record. An
    /// address: one, its user's own; a network (<see cref="NetworkDefaults"/>) holds many users.
    /// </summary>
    public int CleanDistinct { get; init; } = 1;
    public Rule Shadow { get; init; }

    public const Rule Rules = Rule.Blocked | Rule.Burst | Rule.Daily | Rule.Enumeration;

    /// <summary>Ten times the IP numbers, so rotating addresses inside one range does not help.</summary>
    public static SourcePolicy NetworkDefaults => new()
    {
        Burst = 100,
        RefillInterval = TimeSpan.FromSeconds(6),
        PerDay = 1000,
        DistinctAccounts = 200,
        CleanDistinct = 30,
    };

    public void Validate(string section = "Throttle:Ip")
    {
        var check = new PolicyCheck(section);
        check.Range(nameof(Burst), Burst, 1, 100_000);
        check.Duration(nameof(RefillInterval), RefillInterval, TimeSpan.FromSeconds(1), TimeSpan.FromDays(1));
        check.Range(nameof(PerDay), PerDay, 1, 10_000_000);
        // The sketch has 256 bits per window; linear counting stays within a few percent up to about 200.
        check.Range(nameof(DistinctAccounts), DistinctAccounts, 1, 200);
        check.Duration(nameof(DistinctWindow), DistinctWindow, TimeSpan.FromSeconds(1), TimeSpan.FromDays(1));
        check.Duration(nameof(BlockFor), BlockFor, TimeSpan.FromSeconds(1), TimeSpan.FromDays(7));
        check.Duration(nameof(MaxBlock), MaxBlock, BlockFor, TimeSpan.FromDays(7));
        check.Duration(nameof(OffenceMemory), OffenceMemory, TimeSpan.Zero, TimeSpan.FromDays(7));
        check.Range(nameof(CleanDistinct), CleanDistinct, 0, DistinctAccounts);
        check.Shadow(Shadow, Rules);
    }
}

/// <summary>Per recipient email domain: a budget that follows the domain's own trailing baseline.</summary>
public sealed record DomainPolicy
{
    /// <summary>Budget per minute never below this, so small domains and new ones work.</summary>
    public int Floor { get; init; } = 10;
    /// <summary>
    /// Clean sources may use at least this share of the global budget at any one domain, whatever its
    /// baseline: a cold or newly busy domain does not starve its real users. Sources without a clean
    /// record stay within the baseline's budget. Zero: the baseline's budget for everyone.
    /// </summary>
    public double GlobalShare { get; init; } = 0.5;
    /// <summary>Budget per minute never above this, however high the baseline has grown.</summary>
    public int Ceiling { get; init; } = 500;
    /// <summary>Budget per minute is this many times the baseline: a spike beyond it is clamped.</summary>
    public double SpikeFactor { get; init; } = 5;
    /// <summary>Horizon of the baseline (an exponentially weighted mean of emails per minute).</summary>
    public TimeSpan BaselineWindow { get; init; } = TimeSpan.FromHours(1);
    /// <summary>
    /// Share of the budget sources without a clean record may use, so a flood aimed at one big
    /// domain cannot use up what that domain's real users need.
    /// </summary>
    public double UncleanShare { get; init; } = 0.5;
    public LookAgainPolicy LookAgain { get; init; } = new();
    public Rule Shadow { get; init; }

    public const Rule Rules = Rule.Blocked | Rule.Budget | Rule.Surge;

    public void Validate(string section = "Throttle:Domain")
    {
        var check = new PolicyCheck(section);
        check.Range(nameof(Floor), Floor, 1, 1_000_000);
        check.Range(nameof(Ceiling), Ceiling, Floor, 1_000_000);
        check.Number(nameof(SpikeFactor), SpikeFactor, 1, 1000);
        check.Duration(nameof(BaselineWindow), BaselineWindow, TimeSpan.FromMinutes(1), TimeSpan.FromDays(7));
        if (BaselineWindow.Ticks % TimeSpan.TicksPerMinute != 0)
            throw check.Fail(nameof(BaselineWindow), "must be a whole number of minutes", BaselineWindow);
        check.Number(nameof(UncleanShare), UncleanShare, 0, 1);
        check.Number(nameof(GlobalShare), GlobalShare, 0, 1);
        LookAgain.Validate($"{section}:{nameof(LookAgain)}");
        check.Shadow(Shadow, Rules);
    }

    /// <summary>The per-minute budget clean sources have at any domain, whatever its baseline.</summary>
    public long CleanFloor(GlobalPolicy global) => (long)Math.Ceiling(GlobalShare * global.PerMinute);
}

/// <summary>Service-wide: a budget per minute and a surge breaker that degrades in stages.</summary>
public sealed record GlobalPolicy
{
    /// <summary>Emails per minute, metered evenly: one every 60/PerMinute seconds.</summary>
    public int PerMinute { get; init; } = 1000;
    /// <summary>
    /// At most this many at once after a quiet spell: over any span of s seconds at most
    /// Burst + PerMinute * s / 60. Unset: three seconds' worth (<see cref="BurstSize"/>).
    /// </summary>
    public int? Burst { get; init; }
    [JsonIgnore]
    public int BurstSize => Burst ?? Math.Max(1, PerMinute / 20);
    /// <summary>Demand (new requests per minute reaching the global grain; later looks are not new) at this multiple of the budget tightens.</summary>
    public double TightenAt { get; init; } = 1;
    /// <summary>Demand at this multiple of the budget sheds sources without a clean record.</summary>
    public double ShedAt { get; init; } = 3;
    /// <summary>Each stage lasts this long after the demand that triggered it, then steps down by itself.</summary>
    public TimeSpan Hold { get; init; } = TimeSpan.FromMinutes(5);
    /// <summary>Share of the budget sources without a clean record may use while tightened.</summary>
    public double TightenedUncleanShare { get; init; } = 0.5;
    /// <summary>
    /// While tightened, sources without a clean record may not draw the budget's bucket below this
    /// share of its size: they use what clean sources leave, never what clean sources are about to need.
    /// </summary>
    public double CleanReserve { get; init; } = 0.5;
    /// <summary>
    /// While tightened or shedding, a clean source's new request waits this long (a later look,
    /// <see cref="Verdict.Defer"/>) before it may spend the budget, and is then judged by its sources'
    /// record as it stands. Zero turns it off.
    /// </summary>
    public TimeSpan Probation { get; init; } = TimeSpan.FromSeconds(30);
    public LookAgainPolicy LookAgain { get; init; } = new();
    public Rule Shadow { get; init; }

    public const Rule Rules = Rule.Budget | Rule.Surge | Rule.Probation;

    public void Validate(string section = "Throttle:Global")
    {
        var check = new PolicyCheck(section);
        check.Range(nameof(PerMinute), PerMinute, 1, 10_000_000);
        if (Burst is { } burst) check.Range(nameof(Burst), burst, 1, PerMinute);
        check.Number(nameof(TightenAt), TightenAt, 0.01, 1000);
        check.Number(nameof(ShedAt), ShedAt, TightenAt, 1000);
        check.Duration(nameof(Hold), Hold, TimeSpan.FromSeconds(1), TimeSpan.FromDays(1));
        check.Number(nameof(TightenedUncleanShare), TightenedUncleanShare, 0, 1);
        check.Number(nameof(CleanReserve), CleanReserve, 0, 1);
        check.Duration(nameof(Probation), Probation, TimeSpan.Zero, TimeSpan.FromMinutes(10));
        LookAgain.Validate($"{section}:{nameof(LookAgain)}");
        check.Shadow(Shadow, Rules);
    }
}

/// <summary>
/// A clean source refused only because a budget is spent is looked at again <see cref="After"/>
/// later (<see cref="Verdict.Defer"/>), up to <see cref="Times"/> times: long enough for a flood's
/// fresh sources to lose their clean record, short enough that a real user still finds the email
/// waiting. Zero times turns it off.
/// </summary>
public sealed record LookAgainPolicy
{
    public TimeSpan After { get; init; } = TimeSpan.FromSeconds(15);
    public int Times { get; init; } = 8;

    /// <summary>How long until the next look at a refused attempt, or zero for none.</summary>
    public TimeSpan For(bool cleanSource, Rule enforced, int look) =>
        cleanSource && enforced == Rule.Budget && look < Times ? After : TimeSpan.Zero;

    public void Validate(string section)
    {
        var check = new PolicyCheck(section);
        check.Duration(nameof(After), After, TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(10));
        check.Range(nameof(Times), Times, 0, 100);
    }
}

internal readonly struct PolicyCheck(string section)
{
    public void Range(string name, int value, int min, int max)
    {
        if (value < min || value > max) throw Fail(name, $"must be between {min} and {max}", value);
    }

    public void Number(string name, double value, double min, double max)
    {
        if (!(value >= min && value <= max)) throw Fail(name, $"must be between {Text(min)} and {Text(max)}", value);
    }

    public void Duration(string name, TimeSpan value, TimeSpan min, TimeSpan max)
    {
        if (value <= TimeSpan.Zero && min > TimeSpan.Zero) throw Fail(name, "must be positive", value);
        if (value < min || value > max) throw Fail(name, $"must be between {min} and {max}", value);
        if (value.Ticks % TimeSpan.TicksPerSecond != 0) throw Fail(name, "must be a whole number of seconds", value);
    }

    public void Shadow(Rule value, Rule allowed)
    {
        if ((value & ~allowed) != Rule.None)
            throw Fail("Shadow", $"names rules this scope does not have ({value & ~allowed}; it has {allowed})", value);
    }

    public ArgumentException Fail(string name, string problem, object value) =>
        new($"{section}:{name} {problem} (was {Text(value)}).", name);

    private static string Text(object value) => Convert.ToString(value, CultureInfo.InvariantCulture) ?? "";
}
